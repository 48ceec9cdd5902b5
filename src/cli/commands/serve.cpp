// ofq serve CATALOG_DIR: the catalog over HTTP (API.md). Everything but option parsing is
// in src/server (ofq::server).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli_util.hpp"
#include "commands.hpp"
#include "commands/serve_operations.hpp"
#include "ofq/server/server.hpp"

namespace ofq::cli {

RunFn register_serve(CLI::App& app) {
  struct Args {
    server::ServerOptions opt;
    unsigned header_s = 10, idle_s = 60, body_s = 120, write_s = 60, ttl_s = 24 * 3600;
    OperationsArgs ops;
  };
  auto a = std::make_shared<Args>();
  auto& o = a->opt;
  auto* cmd = app.add_subcommand("serve", "Serve a catalog of FASTA samples over HTTP");
  cmd->add_option("catalog", o.catalog_dir,
                  "Catalog folder: CATALOG/catalog.tsv, else every FASTA file under it")
      ->required();
  cmd->add_option("--listen", o.listen, "HOST:PORT to listen on; port 0 picks one [127.0.0.1:8080]");
  cmd->add_option("--index-dir", o.index_dir, "Folder for indexes [env OFQ_INDEX_DIR, else beside the files]");
  cmd->add_option("--threads", o.io_threads, "I/O threads [all cores]")->check(at_least_one());
  cmd->add_option("--stream-threads", o.stream_threads, "Streamed answers produced at once [4]")->check(at_least_one());
  cmd->add_option("--index-threads", o.index_threads, "Samples indexed at once at startup [1]")->check(at_least_one());
  cmd->add_option("--max-body", o.limits.max_body_bytes, "Largest request body in bytes [536870912]")->check(at_least_one());
  cmd->add_option("--max-positions", o.limits.max_positions, "Most positions in one request [5000000]")->check(at_least_one());
  cmd->add_option("--max-page-size", o.limits.max_page_size, "Largest page_size of lists [100000]")->check(at_least_one());
  cmd->add_option("--result-ttl", a->ttl_s, "Seconds a job result (/v1/jobs and the original routes) is kept [86400]")->check(at_least_one());
  cmd->add_option("--header-timeout", a->header_s, "Seconds to receive a request's headers [10]")->check(at_least_one());
  cmd->add_option("--idle-timeout", a->idle_s, "Seconds a keep-alive connection may wait idle [60]")->check(at_least_one());
  cmd->add_option("--body-timeout", a->body_s, "Seconds to receive a request body [120]")->check(at_least_one());
  cmd->add_option("--write-timeout", a->write_s, "Seconds a write may make no progress [60]")->check(at_least_one());
  add_operations_options(cmd, o, a->ops);
  cmd->add_flag("-q,--quiet", [&o](int64_t) { o.log = false; }, "No progress lines on stderr");
  cmd->footer("Routes: docs/http_api.md. /healthz answers 200 once the catalog is loaded; a\n"
              "sample still indexing answers 503 with Retry-After. Stop with SIGINT or SIGTERM\n"
              "(answers in flight finish first); SIGHUP reads --tokens again. Exit: 0 stopped, 1 bad option, 2 catalog refused, 3 cannot start\n"
              "(cannot listen, --tokens or --jobs-db refused, the job store in use by another server).");
  return [a] {
    a->opt.header_timeout = std::chrono::seconds(a->header_s);
    a->opt.idle_timeout = std::chrono::seconds(a->idle_s);
    a->opt.body_timeout = std::chrono::seconds(a->body_s);
    a->opt.write_timeout = std::chrono::seconds(a->write_s);
    a->opt.limits.result_ttl = std::chrono::seconds(a->ttl_s);
    apply_operations_options(a->opt, a->ops);
    return server::run_server(a->opt);
  };
}

}  // namespace ofq::cli
