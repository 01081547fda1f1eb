#!/usr/bin/env python3
"""Builds the tests/fixtures/cpu-<name>/ sysroots: /proc/cpuinfo in each
architecture's format plus the sys/devices/system/{cpu,node} subset that the
cpu probe and util-linux lscpu read. Each machine below names the public
sample its cpuinfo block is taken from (also written to SOURCE.md); the
topology is the one that sample's machine has.

    tests/tools/mkcpufixture.py [NAME ...]     (default: all)
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, '..', 'fixtures')


def mask(cpus, ncpus):
    """Kernel bitmap format (%*pb): 32-bit hex groups, most significant first."""
    groups = (ncpus + 31) // 32
    words = [0] * groups
    for c in cpus:
        words[c // 32] |= 1 << (c % 32)
    return ','.join('%08x' % w for w in reversed(words))


def cpulist(cpus):
    cpus = sorted(cpus)
    out, i = [], 0
    while i < len(cpus):
        j = i
        while j + 1 < len(cpus) and cpus[j + 1] == cpus[j] + 1:
            j += 1
        out.append(str(cpus[i]) if i == j else '%d-%d' % (cpus[i], cpus[j]))
        i = j + 1
    return ','.join(out)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


class Machine:
    """cpus: list of dicts {package, core, thread, node, die?}; caches: list of
    (level, type, size, key) where key(cpu_dict) groups CPUs sharing it."""

    def __init__(self, name, arch, source, cpuinfo, cpus, caches, nodes=True,
                 cpufreq=None, offline=(), die=False, extra=None):
        self.name, self.arch, self.source = name, arch, source
        self.cpuinfo, self.cpus, self.caches = cpuinfo, cpus, caches
        self.nodes, self.cpufreq, self.offline, self.die = nodes, cpufreq, set(offline), die
        self.extra = extra or {}

    def build(self):
        root = os.path.join(FIXTURES, 'cpu-' + self.name)
        for sub in ('proc', 'sys'):
            shutil.rmtree(os.path.join(root, sub), ignore_errors=True)
        n = len(self.cpus)
        allc = list(range(n))
        online = [c for c in allc if c not in self.offline]
        write(root, 'proc/cpuinfo', self.cpuinfo(self))
        write(root, 'proc/sys/kernel/arch', self.arch + '\n')
        base = 'sys/devices/system/cpu/'
        write(root, base + 'possible', cpulist(allc) + '\n')
        write(root, base + 'present', cpulist(allc) + '\n')
        write(root, base + 'online', cpulist(online) + '\n')
        write(root, base + 'offline', (cpulist(self.offline) if self.offline else '') + '\n')
        write(root, base + 'kernel_max', str(max(n - 1, 1)) + '\n')
        for c, t in enumerate(self.cpus):
            d = base + 'cpu%d/' % c
            if c != 0:
                write(root, d + 'online', ('0' if c in self.offline else '1') + '\n')
            if c in self.offline:
                continue  # the kernel removes topology and cache of offline CPUs
            threads = [o for o, u in enumerate(self.cpus)
                       if u['package'] == t['package'] and u['core'] == t['core']]
            package = [o for o, u in enumerate(self.cpus) if u['package'] == t['package']]
            write(root, d + 'topology/physical_package_id', '%d\n' % t['package'])
            write(root, d + 'topology/core_id', '%d\n' % t['core'])
            if self.die:
                write(root, d + 'topology/die_id', '%d\n' % t.get('die', 0))
            write(root, d + 'topology/thread_siblings', mask(threads, n) + '\n')
            write(root, d + 'topology/core_siblings', mask(package, n) + '\n')
            for key, fn in self.extra.items():
                write(root, d + 'topology/' + key, mask(fn(self.cpus, c), n) + '\n')
            for i, (level, ctype, size, key) in enumerate(self.caches):
                shared = [o for o, u in enumerate(self.cpus) if key(u) == key(t)]
                cd = d + 'cache/index%d/' % i
                write(root, cd + 'level', '%d\n' % level)
                write(root, cd + 'type', ctype + '\n')
                write(root, cd + 'size', size + '\n')
                write(root, cd + 'shared_cpu_map', mask(shared, n) + '\n')
            if self.cpufreq:
                write(root, d + 'cpufreq/cpuinfo_min_freq', '%d\n' % self.cpufreq[0])
                write(root, d + 'cpufreq/cpuinfo_max_freq', '%d\n' % self.cpufreq[1])
        if self.nodes:
            nodes = sorted({t['node'] for t in self.cpus})
            nb = 'sys/devices/system/node/'
            write(root, nb + 'possible', cpulist(nodes) + '\n')
            write(root, nb + 'online', cpulist(nodes) + '\n')
            for nd in nodes:
                members = [c for c, t in enumerate(self.cpus) if t['node'] == nd]
                write(root, nb + 'node%d/cpulist' % nd, cpulist(members) + '\n')
                write(root, nb + 'node%d/cpumap' % nd, mask(members, n) + '\n')
        write(root, 'SOURCE.md', self.source.strip() + '\n')


def topo(packages, cores, threads, node=lambda p, c: 0, order='thread-major'):
    """CPU numbering: 'thread-major' (x86: all first threads, then siblings)
    or 'core-major' (ppc: the threads of a core are consecutive)."""
    out = [None] * (packages * cores * threads)
    i = 0
    if order == 'thread-major':
        for th in range(threads):
            for p in range(packages):
                for c in range(cores):
                    out[i] = dict(package=p, core=c, thread=th, node=node(p, c)); i += 1
    else:
        for p in range(packages):
            for c in range(cores):
                for th in range(threads):
                    out[i] = dict(package=p, core=c, thread=th, node=node(p, c)); i += 1
    return out


def per_core(t):
    return (t['package'], t['core'])


def per_package(t):
    return t['package']


def blocks(m, fn):
    return ''.join(fn(i, t) + '\n' for i, t in enumerate(m.cpus))


# ---------------------------------------------------------------- x86 Hygon
HYGON_FLAGS = ('fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr '
               'sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl '
               'nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 '
               'sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm '
               'sse4a misalignsse 3dnowprefetch osvw skinit wdt tce topoext perfctr_core perfctr_nb bpext '
               'perfctr_llc mwaitx cpb hw_pstate ssbd ibpb vmmcall fsgsbase bmi1 avx2 smep bmi2 rdseed adx '
               'smap clflushopt sha_ni xsaveopt xsavec xgetbv1 xsaves clzero irperf xsaveerptr arat npt lbrv '
               'svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold '
               'avic v_vmsave_vmload vgif overflow_recov succor smca sme sev sev_es')


def hygon_cpuinfo(m):
    def b(i, t):
        apic = t['core'] * 2 + t['thread']
        return ('processor\t: %d\nvendor_id\t: HygonGenuine\ncpu family\t: 24\nmodel\t\t: 1\n'
                'model name\t: Hygon C86 3250  8-core Processor\nstepping\t: 1\nmicrocode\t: 0x80901047\n'
                'cpu MHz\t\t: 1600.000\ncache size\t: 512 KB\nphysical id\t: 0\nsiblings\t: 16\n'
                'core id\t\t: %d\ncpu cores\t: 8\napicid\t\t: %d\ninitial apicid\t: %d\nfpu\t\t: yes\n'
                'fpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t: %s\n'
                'bugs\t\t: sysret_ss_attrs null_seg spectre_v1 spectre_v2 spec_store_bypass retbleed smt_rsb srso\n'
                'bogomips\t: 5589.57\nTLB size\t: 2560 4K pages\nclflush size\t: 64\ncache_alignment\t: 64\n'
                'address sizes\t: 43 bits physical, 48 bits virtual\n'
                'power management: ts ttp tm hwpstate cpb eff_freq_ro [13] [14]\n'
                % (i, t['core'], apic, apic, HYGON_FLAGS))
    return blocks(m, b)


# -------------------------------------------------------------- x86 Zhaoxin
ZX_FLAGS = ('fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush acpi mmx fxsr '
            'sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc arch_perfmon nopl nonstop_tsc '
            'cpuid pni pclmulqdq monitor vmx smx est tm2 ssse3 cx16 xtpr pcid sse4_1 sse4_2 movbe popcnt '
            'tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch invpcid_single '
            'tpr_shadow vnmi ept vpid fsgsbase tsc_adjust bmi1 smep bmi2 invpcid rdseed adx xsaveopt '
            'dtherm ida umip arch_capabilities')


def zhaoxin_cpuinfo(m):
    def b(i, t):
        return ('processor\t: %d\nvendor_id\t: CentaurHauls\ncpu family\t: 7\nmodel\t\t: 59\n'
                'model name\t: ZHAOXIN KaiXian KX-U6780A@2.7GHz\nstepping\t: 1\ncpu MHz\t\t: 2700.000\n'
                'cache size\t: 4096 KB\nphysical id\t: 0\nsiblings\t: 8\ncore id\t\t: %d\ncpu cores\t: 8\n'
                'apicid\t\t: %d\ninitial apicid\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\n'
                'wp\t\t: yes\nflags\t\t: %s\nbugs\t\t: spectre_v1 spectre_v2 spec_store_bypass\n'
                'bogomips\t: 5387.14\nclflush size\t: 64\ncache_alignment\t: 64\n'
                'address sizes\t: 40 bits physical, 48 bits virtual\npower management:\n'
                % (i, t['core'], i, i, ZX_FLAGS))
    return blocks(m, b)


# ------------------------------------------------------------------ aarch64
KP_FEATURES = ('fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm jscvt fcma '
               'dcpop asimddp asimdfhm')


def kunpeng_cpuinfo(m):
    return blocks(m, lambda i, t: (
        'processor\t: %d\nBogoMIPS\t: 200.00\nFeatures\t: %s\nCPU implementer\t: 0x48\n'
        'CPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0xd01\nCPU revision\t: 0\n' % (i, KP_FEATURES)))


def phytium_cpuinfo(m):
    return blocks(m, lambda i, t: (
        'processor\t: %d\nmodel name\t: Phytium,D2000/8\nBogoMIPS\t: 96.00\n'
        'Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 cpuid\nCPU implementer\t: 0x70\n'
        'CPU architecture: 8\nCPU variant\t: 0x1\nCPU part\t: 0x663\nCPU revision\t: 3\n' % i))


# -------------------------------------------------------------- loongarch64
def loongarch_cpuinfo(m):
    head = 'system type\t\t: generic-loongson-machine\n\n'
    return head + blocks(m, lambda i, t: (
        'processor\t\t: %d\npackage\t\t\t: %d\ncore\t\t\t: %d\nglobal_id\t\t: %d\n'
        'CPU Family\t\t: Loongson-64bit\nModel Name\t\t: Loongson-3C5000\nCPU Revision\t\t: 0x11\n'
        'FPU Revision\t\t: 0x00\nCPU MHz\t\t\t: 2200.00\nBogoMIPS\t\t: 4400.00\nTLB Entries\t\t: 2112\n'
        'Address Sizes\t\t: 48 bits physical, 48 bits virtual\nISA\t\t\t: loongarch32 loongarch64\n'
        'Features\t\t: cpucfg lam ual fpu lsx lasx crc32 complex crypto lvz lbt_x86 lbt_arm lbt_mips\n'
        'Hardware Watchpoint\t: yes, iwatch count: 8, dwatch count: 4\n' % (i, t['package'], t['core'], i)))


# ------------------------------------------------------------------ riscv64
SG_ISA = 'rv64imafdc_zicntr_zicsr_zifencei_zihpm'


def sg2042_cpuinfo(m):
    return blocks(m, lambda i, t: (
        'processor\t: %d\nhart\t\t: %d\nisa\t\t: %s\nmmu\t\t: sv39\nuarch\t\t: thead,c920\n'
        'mvendorid\t: 0x5b7\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\nhart isa\t: %s\n' % (i, i, SG_ISA, SG_ISA)))


# ------------------------------------------------------------------ ppc64le
def power9_cpuinfo(m):
    body = ''.join('processor\t: %d\ncpu\t\t: POWER9 (raw), altivec supported\nclock\t\t: 3800.000000MHz\n'
                   'revision\t: 2.2 (pvr 004e 1202)\n\n' % i for i in range(len(m.cpus)))
    return body + 'timebase\t: 512000000\nplatform\t: PowerNV\nfirmware\t: OPAL\nMMU\t\t: Radix\n'


# -------------------------------------------------------------------- s390x
def z15_cpuinfo(m):
    n = len(m.cpus)
    head = ('vendor_id       : IBM/S390\n# processors    : %d\nbogomips per cpu: 3241.00\nmax thread id   : 0\n'
            'features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx vxd vxe gs vxe2 vxp '
            'sort dflt sie \n'
            'facilities      : 0 1 2 3 4 6 7 8 9 10 12 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 30 31 32 33 '
            '34 35 36 37 38 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 57 58 59 60 61 69 70 71 72 73 74 '
            '75 76 77 80 81 82 129 130 131 133 134 135 146 147 148 150 151 152 155 156 168\n'
            'cache0          : level=1 type=Data scope=Private size=128K line_size=256 associativity=8\n'
            'cache1          : level=1 type=Instruction scope=Private size=128K line_size=256 associativity=8\n'
            'cache2          : level=2 type=Data scope=Private size=4096K line_size=256 associativity=8\n'
            'cache3          : level=2 type=Instruction scope=Private size=4096K line_size=256 associativity=8\n'
            'cache4          : level=3 type=Unified scope=Shared size=262144K line_size=256 associativity=32\n'
            'cache5          : level=4 type=Unified scope=Shared size=983040K line_size=256 associativity=60\n'
            % n)
    procs = ''.join('processor %d: version = FF,  identification = 2B8F28,  machine = 8561\n' % i for i in range(n))
    cpus = ''.join('\ncpu number      : %d\ncpu MHz dynamic : 5200\ncpu MHz static  : 5200\n' % i for i in range(n))
    return head + procs + cpus


# -------------------------------------------------------------------- sw_64
def sw64_cpuinfo(m):
    return blocks(m, lambda i, t: (
        'processor\t: %d\nvendor_id\t: sunway\ncpu family\t: 6\nmodel\t\t: 49\n'
        'model name\t: SW3231 CPU @ 2.40GHz\ncpu variation\t: 3\ncpu revision\t: 2\ncpu MHz\t\t: 2400.00\n'
        'cache size\t: 65536 KB\nphysical id\t: %d\nbogomips\t: 4800.00\nflags\t\t: fpu simd vpn upn cpuid\n'
        'page size\t: 8192\ncache_alignment\t: 128\naddress sizes\t: 48 bits physical, 53 bits virtual\n'
        % (i, t['package'])))


# ------------------------------------------------------------------- mips64
def ls3a4000_cpuinfo(m):
    def b(i, t):
        head = ('system type\t\t: generic-loongson-machine\nmachine\t\t\t: loongson,loongson64g-4core-ls7a\n'
                if i == 0 else '')
        return head + (
            'processor\t\t: %d\ncpu model\t\t: Loongson-3 V0.4  FPU V0.1\n'
            'model name\t\t: Loongson-3A R4 (Loongson-3A4000)\nCPU MHz\t\t\t: 1800.00\nBogoMIPS\t\t: 3600.96\n'
            'wait instruction\t: yes\nmicrosecond timers\t: yes\ntlb_entries\t\t: 2112\n'
            'extra interrupt vector\t: no\nhardware watchpoint\t: no\n'
            'isa\t\t\t: mips1 mips2 mips3 mips4 mips5 mips32r1 mips32r2 mips64r1 mips64r2\n'
            'ASEs implemented\t: vz msa loongson-mmi loongson-cam loongson-ext loongson-ext2\n'
            'Options implemented\t: tlb ftlb tlbinv rixiex ldpte 4kex 4k_cache fpu 32fpr prefetch ejtag llsc '
            'guestctl0ext guestctl1 guestctl2 guestid rixi lpa ic_fills_f_dc userlocal inclusive_pcaches '
            'nan_2008 ebase_wg badinstr badinstrp perf mac2008_only gsexcex\nshadow register sets\t: 1\n'
            'kscratch registers\t: 6\npackage\t\t\t: %d\ncore\t\t\t: %d\nVCED exceptions\t\t: not available\n'
            'VCEI exceptions\t\t: not available\n' % (i, t['package'], t['core']))
    return blocks(m, b)


def kunpeng_node(p, c):
    return p * 2 + c // 24  # two dies (TotemA/TotemB) per socket, 24 cores each


def sg2042_node(cpu):
    # lscpu-rv64-milkvpioneer: node0 0-7,16-23; node1 8-15,24-31; node2 32-39,48-55; node3 40-47,56-63
    return (cpu // 32) * 2 + (cpu // 8) % 2


def sg2042_topology():
    cpus = topo(1, 64, 1)
    for i, t in enumerate(cpus):
        t['node'] = sg2042_node(i)
    return cpus


MACHINES = [
    Machine('x86-hygon', 'x86_64', '''
# cpu-x86-hygon: Hygon C86 3250 8-core (Dhyana), 1 socket, 8 cores, 2 threads

- cpuinfo block: the /proc/cpuinfo posted in Dr-Noob/cpufetch issue #244
  ("Hygon CPU is not supported", 2024-05-12): vendor_id HygonGenuine, family 24,
  model 1, stepping 1, "Hygon C86 3250  8-core Processor" (two spaces, as the
  CPUID brand string has them), siblings 16, cpu cores 8, flags, bogomips 5589.57.
- Topology from that block: physical id 0 on every CPU, siblings 16 / cpu cores 8
  => 1 socket x 8 cores x 2 threads = 16 CPUs, numbered as Linux does on
  Zen-family parts (CPUs 0-7 first threads, 8-15 their siblings). One NUMA node.
- Caches (Dhyana = Zen 1 core): L1d 32 KiB and L1i 64 KiB per core, L2 512 KiB per
  core (cpuinfo "cache size: 512 KB"), L3 8 MiB per 4-core CCX (2 instances).
- Expected values (expected/facts.json) written from the sample, not from our output.
''', hygon_cpuinfo, topo(1, 8, 2),
        [(1, 'Data', '32K', per_core), (1, 'Instruction', '64K', per_core),
         (2, 'Unified', '512K', per_core), (3, 'Unified', '8192K', lambda t: t['core'] // 4)], die=True),
    Machine('x86-zhaoxin', 'x86_64', '''
# cpu-x86-zhaoxin: Zhaoxin KaiXian KX-U6780A, 1 socket, 8 cores, 1 thread

- cpuinfo block: the /proc/cpuinfo posted in OpenMathLib/OpenBLAS issue #3295
  ("Add cpu detection support for Zhaoxin processors", 2021-07-08): vendor_id
  CentaurHauls, family 7, model 59, stepping 1, "ZHAOXIN KaiXian KX-U6780A@2.7GHz",
  siblings 8, cpu cores 8, cache size 4096 KB, flags.
- Topology: physical id 0, siblings 8 = cpu cores 8 => 1 socket x 8 cores x 1 thread.
- Caches: L1d/L1i 32 KiB per core; L2 4 MiB (cpuinfo "cache size") shared by each
  4-core cluster (LuJiaZui: two clusters), no L3. One NUMA node.
- The "  Shanghai  " vendor ID of newer Zhaoxin parts is covered by a unit test.
''', zhaoxin_cpuinfo, topo(1, 8, 1),
        [(1, 'Data', '32K', per_core), (1, 'Instruction', '32K', per_core),
         (2, 'Unified', '4096K', lambda t: t['core'] // 4)], die=True),
    Machine('aarch64-kunpeng920', 'aarch64', '''
# cpu-aarch64-kunpeng920: Huawei TaiShan 2280 V2, 2 x Kunpeng 920 (48 cores each)

- cpuinfo block: hrw/arm-socs-table issue #86 ("Huawei Taishan 2280 (Kunpeng 920)"):
  BogoMIPS 200.00, Features list, CPU implementer 0x48, architecture 8, variant 0x1,
  part 0xd01, revision 0; processors 0..95, "2 * 48 Taishan 110 (tsv110) core".
- Topology: 2 sockets x 48 cores x 1 thread = 96 CPUs. Each Kunpeng 920 socket is two
  dies (24 cores each) with their own memory controllers: 4 NUMA nodes of 24 CPUs.
- Caches (Kunpeng 920 product brief): L1d 64 KiB, L1i 64 KiB, L2 512 KiB per core,
  L3 24 MiB per die (4 instances).
- No "model name" in arm64 cpuinfo: the model comes from hwdata/cpu-parts
  (0x48/0xd01 = Kunpeng-920, core TaiShan-v110).
''', kunpeng_cpuinfo, topo(2, 48, 1, node=kunpeng_node),
        [(1, 'Data', '64K', per_core), (1, 'Instruction', '64K', per_core),
         (2, 'Unified', '512K', per_core), (3, 'Unified', '24576K', lambda t: (t['package'], t['core'] // 24))]),
    Machine('aarch64-phytium', 'aarch64', '''
# cpu-aarch64-phytium: Phytium D2000/8 (FTC663 cores), 1 socket, 8 cores

- cpuinfo block: hrw/arm-socs-table issue #24 ("Phytium D2000", 2022-11-10):
  model name "Phytium,D2000/8", BogoMIPS 96.00, Features, CPU implementer 0x70,
  variant 0x1, part 0x663, revision 3; processors 0..7.
- Topology: 1 socket x 8 cores x 1 thread; one NUMA node.
- Caches (Phytium D2000 datasheet summary): L1d/L1i 32 KiB per core, L2 2 MiB per
  2-core cluster (4 instances), L3 4 MiB shared.
- No cpufreq in this dump: BogoMIPS is the only speed figure (frequency_source "bogomips").
''', phytium_cpuinfo, topo(1, 8, 1),
        [(1, 'Data', '32K', per_core), (1, 'Instruction', '32K', per_core),
         (2, 'Unified', '2048K', lambda t: t['core'] // 2), (3, 'Unified', '4096K', per_package)]),
    Machine('loongarch64-3c5000', 'loongarch64', '''
# cpu-loongarch64-3c5000: Loongson 3C5000, 1 socket, 16 cores, 4 NUMA nodes

- cpuinfo format: Linux arch/loongarch/kernel/proc.c show_cpuinfo() ("system type",
  then per CPU processor/package/core/global_id, "CPU Family", "Model Name", "CPU
  Revision", "FPU Revision", "CPU MHz", "BogoMIPS", "TLB Entries", "Address Sizes",
  "ISA", "Features", "Hardware Watchpoint"), as in the 3A6000 sample of
  fastfetch-cli/fastfetch issue #1204.
- 3C5000 values: lyonel/lshw PR #96 (product Loongson-3C5000, version 0x11, 2200 MHz,
  capabilities "cpucfg lam ual fpu lsx lasx crc32 complex crypto lvz lbt_x86 lbt_arm
  lbt_mips"); nviennot/core-to-core-latency PR #104 (3C5000, 2.2 GHz, 16 cores).
- Topology: 16 cores = four 4-core nodes in one package, each with its memory
  controller: 4 NUMA nodes (0-3, 4-7, 8-11, 12-15). L1d/L1i 64 KiB and L2 256 KiB per
  core, L3 16 MiB per node.
''', loongarch_cpuinfo, topo(1, 16, 1, node=lambda p, c: c // 4),
        [(1, 'Data', '64K', per_core), (1, 'Instruction', '64K', per_core),
         (2, 'Unified', '256K', per_core), (3, 'Unified', '16384K', lambda t: t['node'])]),
    Machine('riscv64-sg2042', 'riscv64', '''
# cpu-riscv64-sg2042: Sophgo SG2042 (Milk-V Pioneer), 64 T-Head C920 cores

- cpuinfo format: Linux arch/riscv/kernel/cpu.c show_cpuinfo() (processor, hart,
  isa, mmu, uarch, mvendorid, marchid, mimpid, hart isa) as in the Milk-V Mars
  sample of fastfetch-cli/fastfetch issue #1529; SG2042 values: mvendorid 0x5b7
  (T-Head, Linux vendorid_list.h), marchid 0x0, mimpid 0x0, uarch thead,c920.
- Counts and NUMA layout: util-linux tests/expected/lscpu/lscpu-rv64-milkvpioneer
  (util-linux PR #3187): 64 CPUs, 1 socket, 64 cores, 1 thread, 4 NUMA nodes
  node0 0-7,16-23; node1 8-15,24-31; node2 32-39,48-55; node3 40-47,56-63.
- Caches: L1d/L1i 64 KiB per core, L2 1 MiB per 4-core cluster (16 instances);
  the system cache is not described in that dump and is left out.
''', sg2042_cpuinfo, sg2042_topology(),
        [(1, 'Data', '64K', per_core), (1, 'Instruction', '64K', per_core),
         (2, 'Unified', '1024K', lambda t: t['core'] // 4)]),
    Machine('ppc64le-power9', 'ppc64le', '''
# cpu-ppc64le-power9: IBM POWER9 (Sforza, 4 cores, SMT4) on OpenPOWER (PowerNV)

- cpuinfo format: Linux arch/powerpc/kernel/setup-common.c show_cpuinfo(): per CPU
  "cpu", "clock", "revision", then the summary (timebase, platform, firmware, MMU).
  Values from fastfetch-cli/fastfetch PR #496 ("POWER9, altivec supported",
  3800.000000MHz, revision 2.2 (pvr 004e 1202)) and issue #1667 ("POWER9 (raw)",
  clocks 2166-2233 MHz, same PVR).
- Topology: one 4-core SMT4 chip = 16 CPUs, threads of a core numbered
  consecutively (as on PowerNV), one NUMA node. L1d/L1i 32 KiB per core; L2 512 KiB and
  L3 10 MiB per core pair.
- cpufreq (powernv-cpufreq): 2166 MHz minimum (issue #1667 sample) to 3800 MHz maximum
  (PR #496 sample).
''', power9_cpuinfo, topo(1, 4, 4, order='core-major'),
        [(1, 'Data', '32K', per_core), (1, 'Instruction', '32K', per_core),
         (2, 'Unified', '512K', lambda t: t['core'] // 2), (3, 'Unified', '10240K', lambda t: t['core'] // 2)],
        cpufreq=(2166000, 3800000)),
    Machine('s390x-z15', 's390x', '''
# cpu-s390x-z15: IBM z15 T01 (machine type 8561), 2 CPUs

- cpuinfo: fastfetch-cli/fastfetch issue #2129 ("CPU speed missing on IBM Machine
  8561"): vendor_id IBM/S390, # processors 2, bogomips per cpu 3241.00, features,
  facilities, "processor N: ... machine = 8561"; per-CPU "cpu number" blocks with
  "cpu MHz dynamic/static" 5200 (Linux arch/s390/kernel/processor.c show_cpuinfo()).
  Cache lines (level=1 Data/Instruction 128K, level=2 4096K, level=3 262144K,
  level=4 983040K) follow z15's documented cache sizes (IBM Redbook SG24-8851).
- Topology (from that report's fastfetch JSON: 2 packages, 2 cores, 2 CPUs): each CPU
  its own core and socket, book and drawer; one NUMA node.
- No sysfs cache directories: the caches come from the cpuinfo "cacheN" lines.
''', z15_cpuinfo, topo(2, 1, 1),
        [], extra={'book_siblings': lambda cpus, c: [c], 'drawer_siblings': lambda cpus, c: [c]}),
    Machine('sw64', 'sw_64', '''
# cpu-sw64: Sunway SW3231, 1 socket, 32 cores

- cpuinfo block: mesonbuild/meson PR #12273 ("CPU family support 'sw_64'", 2023-09-20):
  vendor_id sunway, cpu family 6, model 49, "SW3231 CPU @ 2.40GHz", cpu variation 3,
  cpu revision 2, cpu MHz 2400.00, cache size 65536 KB, physical id 0, bogomips
  4800.00, flags "fpu simd vpn upn cpuid".
- Topology: SW3231 is a 32-core part: 1 socket x 32 cores x 1 thread, one NUMA node.
- No sysfs cache directories in this fixture (the sample gives only the cpuinfo
  "cache size"); caches are therefore absent from the output.
''', sw64_cpuinfo, topo(1, 32, 1), []),
    Machine('mips64-loongson', 'mips64', '''
# cpu-mips64-loongson: Loongson 3A4000 (MIPS64, GS464V), 1 socket, 4 cores

- cpuinfo format: Linux arch/mips/kernel/proc.c show_cpuinfo() (system type and
  machine before processor 0; cpu model, model name, CPU MHz, BogoMIPS, isa, ASEs
  implemented, Options implemented, package, core, ...); field values from the
  Loongson-3B4000 sample in GuillaumeGomez/sysinfo issue #1527 (same GS464V core,
  "Loongson-3 V0.4  FPU V0.1", 1800 MHz).
- Model name and counts: loongson/build-tools issue #28 lscpu of a 3A4000 machine:
  Architecture mips64, 4 CPUs, 1 socket, 4 cores, 1 thread, 1 NUMA node,
  "Loongson-3A R4 (Loongson-3A4000)".
- Caches: L1d/L1i 64 KiB and L2 256 KiB per core, L3 8 MiB shared.
''', ls3a4000_cpuinfo, topo(1, 4, 1),
        [(1, 'Data', '64K', per_core), (1, 'Instruction', '64K', per_core),
         (2, 'Unified', '256K', per_core), (3, 'Unified', '8192K', per_package)]),
]


def main(argv):
    names = set(argv[1:])
    for m in MACHINES:
        if not names or m.name in names:
            m.build()
            print('built tests/fixtures/cpu-' + m.name)


if __name__ == '__main__':
    main(sys.argv)
