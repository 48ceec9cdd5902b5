// ofq: index, extract, faidx, serve, digest. Each subcommand is commands/<name>.cpp.
#include <CLI/CLI.hpp>
#include <csignal>
#include <map>

#include "commands.hpp"

int main(int argc, char** argv) {
  // A closed pipe is an I/O error to report (exit 3), not a silent death.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"ofq: random access to FASTA, plain gzip and BGZF, from the command line or over HTTP"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "ofq 0.1.0");
  std::map<CLI::App*, ofq::cli::RunFn> runs;
  auto add = [&](ofq::cli::RunFn fn) { runs[app.get_subcommands({}).back()] = std::move(fn); };
  add(ofq::cli::register_index(app));
  add(ofq::cli::register_extract(app));
  add(ofq::cli::register_faidx(app));
  add(ofq::cli::register_serve(app));
  add(ofq::cli::register_digest(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 1;
  }
  for (auto& [cmd, fn] : runs)
    if (cmd->parsed()) return fn();
  return 1;
}
