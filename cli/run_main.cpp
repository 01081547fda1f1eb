// certify-run: `certify run` and the built-in tests it starts (`certify
// builtin`, through /proc/self/exe, so a built-in job is one exec). The front
// (front.cpp) execs this for those two commands; why it is an executable of
// its own is said there.
#include "cli/app.hpp"

namespace {

constexpr certify::cli::Registrar k_run_commands[] = {certify::cli::add_run_command, certify::cli::add_builtin_command};

}  // namespace

int main(int argc, char** argv) { return certify::cli::run_app(k_run_commands, argc, argv); }
