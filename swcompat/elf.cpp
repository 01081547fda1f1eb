// ELF reader on libelf (elfutils). libelf validates section and segment
// tables; the walks below still check every index and offset they follow,
// because the data inside sections is not validated by libelf.
#include "swcompat/elf.hpp"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <memory>

namespace certify::swcompat {

namespace {

struct ElfEnd {
  void operator()(Elf* e) const { elf_end(e); }
};
using ElfPtr = std::unique_ptr<Elf, ElfEnd>;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

bool init_libelf() {
  static const bool ok = elf_version(EV_CURRENT) != EV_NONE;
  return ok;
}

std::string str_at(Elf* e, std::size_t section, std::size_t offset) {
  const char* s = elf_strptr(e, section, offset);
  return s ? std::string(s) : std::string();
}

void read_dynamic(Elf* e, Elf_Scn* scn, const GElf_Shdr& sh, ElfInfo& info) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || sh.sh_entsize == 0) return;
  std::size_t n = sh.sh_size / sh.sh_entsize;
  for (std::size_t i = 0; i < n; ++i) {
    GElf_Dyn dyn;
    if (!gelf_getdyn(data, static_cast<int>(i), &dyn)) break;
    if (dyn.d_tag == DT_NULL) break;
    if (dyn.d_tag == DT_NEEDED) info.needed.push_back(str_at(e, sh.sh_link, dyn.d_un.d_val));
    else if (dyn.d_tag == DT_SONAME) info.soname = str_at(e, sh.sh_link, dyn.d_un.d_val);
    else if (dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH) info.rpath.push_back(str_at(e, sh.sh_link, dyn.d_un.d_val));
  }
}

// .gnu.version_r: a chain of Verneed records, each with a chain of Vernaux.
void read_verneed(Elf* e, Elf_Scn* scn, const GElf_Shdr& sh, ElfInfo& info) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data) return;
  std::size_t off = 0;
  for (std::size_t n = 0; n < sh.sh_info && n < 4096; ++n) {
    GElf_Verneed vn;
    if (!gelf_getverneed(data, static_cast<int>(off), &vn)) break;
    auto file = str_at(e, sh.sh_link, vn.vn_file);
    auto& list = info.version_needs[file];
    std::size_t aoff = off + vn.vn_aux;
    for (std::size_t k = 0; k < vn.vn_cnt && k < 4096; ++k) {
      GElf_Vernaux aux;
      if (aoff > data->d_size || !gelf_getvernaux(data, static_cast<int>(aoff), &aux)) break;
      list.push_back(str_at(e, sh.sh_link, aux.vna_name));
      if (aux.vna_next == 0) break;
      aoff += aux.vna_next;
    }
    if (vn.vn_next == 0) break;
    off += vn.vn_next;
    if (off > data->d_size) break;
  }
}

void read_verdef(Elf* e, Elf_Scn* scn, const GElf_Shdr& sh, ElfInfo& info) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data) return;
  std::size_t off = 0;
  for (std::size_t n = 0; n < sh.sh_info && n < 4096; ++n) {
    GElf_Verdef vd;
    if (!gelf_getverdef(data, static_cast<int>(off), &vd)) break;
    GElf_Verdaux aux;
    std::size_t aoff = off + vd.vd_aux;
    // VER_FLG_BASE names the file itself, not a version node.
    if (!(vd.vd_flags & VER_FLG_BASE) && aoff <= data->d_size && gelf_getverdaux(data, static_cast<int>(aoff), &aux))
      info.version_defs.push_back(str_at(e, sh.sh_link, aux.vda_name));
    if (vd.vd_next == 0) break;
    off += vd.vd_next;
    if (off > data->d_size) break;
  }
}

void read_symtab(Elf* e, Elf_Scn* scn, const GElf_Shdr& sh, ElfInfo& info) {
  Elf_Data* data = elf_getdata(scn, nullptr);
  if (!data || sh.sh_entsize == 0) return;
  std::size_t n = sh.sh_size / sh.sh_entsize;
  for (std::size_t i = 1; i < n; ++i) {
    GElf_Sym sym;
    if (!gelf_getsym(data, static_cast<int>(i), &sym)) break;
    if (sym.st_shndx == SHN_UNDEF && GELF_ST_BIND(sym.st_info) != STB_LOCAL) {
      auto name = str_at(e, sh.sh_link, sym.st_name);
      if (!name.empty()) info.undefined.push_back(std::move(name));
    }
  }
}

// struct modversion_info { unsigned long crc; char name[64 - sizeof(long)]; }
void read_modversions(Elf_Scn* scn, const ElfInfo& hdr, ElfInfo& info) {
  Elf_Data* data = elf_rawdata(scn, nullptr);
  if (!data || !data->d_buf) return;
  const std::size_t word = hdr.bits == 64 ? 8 : 4, rec = 64;
  auto* p = static_cast<const unsigned char*>(data->d_buf);
  for (std::size_t off = 0; off + rec <= data->d_size; off += rec) {
    std::uint64_t crc = 0;
    for (std::size_t b = 0; b < word; ++b) {
      std::size_t idx = hdr.little_endian ? word - 1 - b : b;
      crc = (crc << 8) | p[off + idx];
    }
    const char* name = reinterpret_cast<const char*>(p + off + word);
    std::size_t len = strnlen(name, rec - word);
    if (len == rec - word || len == 0) continue;  // unterminated or empty: skip
    info.modversions[std::string(name, len)] = static_cast<std::uint32_t>(crc);
  }
}

void read_modinfo(Elf_Scn* scn, ElfInfo& info) {
  Elf_Data* data = elf_rawdata(scn, nullptr);
  if (!data || !data->d_buf) return;
  std::string_view all(static_cast<const char*>(data->d_buf), data->d_size);
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto end = all.find('\0', pos);
    if (end == std::string_view::npos) end = all.size();
    auto kv = all.substr(pos, end - pos);
    pos = end + 1;
    auto eq = kv.find('=');
    if (kv.empty() || eq == std::string_view::npos) continue;
    info.modinfo.emplace_back(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
}

Result<ElfInfo> analyse(Elf* e) {
  if (elf_kind(e) != ELF_K_ELF) return make_error("not an ELF object");
  GElf_Ehdr eh;
  if (!gelf_getehdr(e, &eh)) return make_error(std::string("ELF header: ") + elf_errmsg(-1));
  ElfInfo info;
  info.bits = eh.e_ident[EI_CLASS] == ELFCLASS64 ? 64 : 32;
  info.little_endian = eh.e_ident[EI_DATA] == ELFDATA2LSB;
  info.machine = eh.e_machine;
  info.arch = elf_arch_name(eh.e_machine, info.bits, info.little_endian);
  switch (eh.e_type) {
    case ET_EXEC: info.type = "exec"; break;
    case ET_DYN: info.type = "dyn"; break;
    case ET_REL: info.type = "rel"; break;
    case ET_CORE: info.type = "core"; break;
    default: info.type = "other";
  }
  std::size_t phnum = 0;
  if (elf_getphdrnum(e, &phnum) == 0) {
    for (std::size_t i = 0; i < phnum && i < 4096; ++i) {
      GElf_Phdr ph;
      if (!gelf_getphdr(e, static_cast<int>(i), &ph)) break;
      if (ph.p_type == PT_DYNAMIC) info.is_dynamic = true;
      if (ph.p_type == PT_INTERP) {
        std::size_t size = 0;
        char* raw = elf_rawfile(e, &size);
        if (raw && ph.p_offset < size && ph.p_filesz <= size - ph.p_offset) {
          info.interpreter.assign(raw + ph.p_offset, strnlen(raw + ph.p_offset, ph.p_filesz));
        }
      }
    }
  }
  std::size_t shstrndx = 0;
  if (elf_getshdrstrndx(e, &shstrndx) != 0) return info;  // no sections: program headers only
  for (Elf_Scn* scn = elf_nextscn(e, nullptr); scn; scn = elf_nextscn(e, scn)) {
    GElf_Shdr sh;
    if (!gelf_getshdr(scn, &sh)) continue;
    if (sh.sh_type == SHT_NOBITS) continue;
    switch (sh.sh_type) {
      case SHT_DYNAMIC: read_dynamic(e, scn, sh, info); break;
      case SHT_GNU_verneed: read_verneed(e, scn, sh, info); break;
      case SHT_GNU_verdef: read_verdef(e, scn, sh, info); break;
      case SHT_SYMTAB:
        if (eh.e_type == ET_REL) read_symtab(e, scn, sh, info);
        break;
      default: break;
    }
    if (eh.e_type == ET_REL) {
      const char* name = elf_strptr(e, shstrndx, sh.sh_name);
      if (name && std::strcmp(name, "__versions") == 0) read_modversions(scn, info, info);
      if (name && std::strcmp(name, ".modinfo") == 0) read_modinfo(scn, info);
    }
  }
  return info;
}

}  // namespace

bool is_elf(std::string_view data) { return data.size() >= 4 && std::memcmp(data.data(), "\x7f" "ELF", 4) == 0; }

Result<ElfInfo> parse_elf(std::string_view image) {
  if (!init_libelf()) return make_error("libelf initialisation failed");
  if (!is_elf(image)) return make_error("not an ELF object");
  std::string copy(image);
  ElfPtr e(elf_memory(copy.data(), copy.size()));
  if (!e) return make_error(std::string("ELF: ") + elf_errmsg(-1));
  return analyse(e.get());
}

Result<ElfInfo> parse_elf_file(const std::filesystem::path& path) {
  if (!init_libelf()) return make_error("libelf initialisation failed");
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) return make_error(path.string() + ": " + std::strerror(errno));
  ElfPtr e(elf_begin(fd.fd, ELF_C_READ_MMAP, nullptr));
  if (!e) return make_error(path.string() + ": " + elf_errmsg(-1));
  auto r = analyse(e.get());
  if (!r) return make_error(path.string() + ": " + r.message());
  return r;
}

std::string elf_arch_name(unsigned machine, int bits, bool le) {
  switch (machine) {
    case EM_X86_64: return "x86_64";
    case EM_386: return "i686";
    case EM_AARCH64: return "aarch64";
    case EM_ARM: return "arm";
    case EM_RISCV: return bits == 64 ? "riscv64" : "riscv32";
    case EM_PPC64: return le ? "ppc64le" : "ppc64";
    case EM_PPC: return "ppc";
    case EM_S390: return bits == 64 ? "s390x" : "s390";
    case 258: return "loongarch64";  // EM_LOONGARCH (newer than some elf.h)
    case 0x9916: return "sw_64";     // EM_SW64 (Sunway)
    case EM_MIPS: return bits == 64 ? (le ? "mips64el" : "mips64") : (le ? "mipsel" : "mips");
    default: return "";
  }
}

std::string glibc_version_of(std::string_view v) {
  if (v.rfind("GLIBC_", 0) != 0) return "";
  auto rest = v.substr(6);
  if (rest.empty() || !(rest[0] >= '0' && rest[0] <= '9')) return "";  // GLIBC_PRIVATE
  return std::string(rest);
}

}  // namespace certify::swcompat
