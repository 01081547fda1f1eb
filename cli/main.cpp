// certify-full: every certify subcommand. The `certify` users run is the
// small front (front.cpp): it runs `probe` itself and execs this for the rest.
#include "cli/app.hpp"

namespace {

// The subcommands, in the order a user meets them.
constexpr certify::cli::Registrar k_commands[] = {
    certify::cli::add_probe_command,
    certify::cli::add_plan_command,
    certify::cli::add_run_command,
    certify::cli::add_report_command,
    certify::cli::add_builtin_command,
    certify::cli::add_peer_command,
    certify::cli::add_bundle_commands,  // bundle, keygen, sign, verify
    certify::cli::add_submit_command,
    certify::cli::add_swcheck_command,
    certify::cli::add_kabicheck_command,
    certify::cli::add_ossnapshot_command,
    certify::cli::add_osdiff_command,
    certify::cli::add_doctor_command,
    certify::cli::add_docs_commands,  // last: documents every command above
};

}  // namespace

int main(int argc, char** argv) { return certify::cli::run_app(k_commands, argc, argv); }
