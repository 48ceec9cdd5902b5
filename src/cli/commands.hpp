// Each subcommand lives in commands/<name>.cpp and registers itself on the app; main.cpp
// only dispatches. A command's run function returns the process exit code
// (SEMANTICS.md, decisions: 0 done, 1 usage/positions, 2 input refused, 3 I/O, 4 internal).
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace ofq::cli {

using RunFn = std::function<int()>;

// Each adds its subcommand to `app` and returns what to run when it is chosen.
RunFn register_index(CLI::App& app);
RunFn register_extract(CLI::App& app);
RunFn register_faidx(CLI::App& app);
RunFn register_serve(CLI::App& app);
RunFn register_digest(CLI::App& app);

}  // namespace ofq::cli
