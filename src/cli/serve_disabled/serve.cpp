// `ofq serve` in a build configured with -DOFQ_BUILD_SERVER=OFF: says so.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.hpp"

namespace ofq::cli {
RunFn register_serve(CLI::App& app) {
  app.add_subcommand("serve", "Serve a catalog over HTTP (not in this build)");
  return [] {
    std::fprintf(stderr, "ofq serve: this ofq was built with -DOFQ_BUILD_SERVER=OFF\n");
    return 4;
  };
}
}  // namespace ofq::cli
