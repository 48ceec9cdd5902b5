// The options of `ofq serve` that issue 5 adds (jobs, limits, access, logs), kept apart
// from serve.cpp: add_operations_options() registers them (and checks --rate),
// apply_operations_options() turns the words into ServerOptions after parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "cli_util.hpp"
#include "ofq/server/gateway.hpp"
#include "ofq/server/server.hpp"

namespace ofq::cli {

struct OperationsArgs {
  std::string rate;
  double grace_s = 5;
  bool no_cors = false, no_log = false;
};

inline void add_operations_options(CLI::App* cmd, server::ServerOptions& o, OperationsArgs& a) {
  auto& ops = o.ops;
  cmd->add_option("--jobs-db", ops.jobs.db_path,
                  "SQLite file of the durable job store (results in FILE.files/) [a temporary store]");
  cmd->add_option("--job-threads", ops.jobs.threads, "Jobs run at once [1]")->check(at_least_one());
  cmd->add_option("--max-jobs", ops.jobs.max_jobs, "Jobs queued or running at once; more: 413 [10000]")->check(at_least_one());
  cmd->add_option("--max-answer-bytes", ops.gateway.max_answer_bytes,
                  "Largest answer (and job result) in bytes; more: 413 [4294967296]")
      ->check(at_least_one());
  cmd->add_option("--max-connections", ops.max_connections, "Connections open at once; more: 413 [10000]")->check(at_least_one());
  cmd->add_option("--tokens", ops.gateway.tokens_file,
                  "File of bearer tokens (one a line): every route but /healthz needs one [open]");
  cmd->add_option("--rate", a.rate, "Requests a second per client, e.g. 20/s; more: 429 [no limit]")
      ->check([](const std::string& s) {
        try {
          (void)server::parse_rate(s);
          return std::string();
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
      });
  cmd->add_option("--rate-burst", ops.gateway.burst, "Requests a client may send at once [the rate]")
      ->check(number_at_least(1));
  cmd->add_flag("--trust-proxy", ops.gateway.trust_proxy,
                "The client is the last X-Forwarded-For address, the one the proxy saw (behind nginx)");
  cmd->add_option("--cors-origin", ops.gateway.cors_origin, "Access-Control-Allow-Origin of answers [*]");
  cmd->add_flag("--no-cors", a.no_cors, "No CORS headers");
  cmd->add_option("--gzip-min-bytes", ops.gateway.gzip_min_bytes,
                  "Compress answers this large when the client accepts gzip; 0: never [4096]");
  cmd->add_flag("--no-access-log", a.no_log, "No access-log line (JSON, on stderr) per request");
  cmd->add_option("--shutdown-grace", a.grace_s,
                  "Seconds that answers in flight get to finish after SIGTERM/SIGINT [5]")
      ->check(number_at_least(0));
}

inline void apply_operations_options(server::ServerOptions& o, const OperationsArgs& a) {
  if (!a.rate.empty()) o.ops.gateway.rate = server::parse_rate(a.rate);  // checked at parsing
  if (a.no_cors) o.ops.gateway.cors_origin.clear();
  if (a.no_log || !o.log) o.ops.gateway.access_log = false;
  o.ops.jobs.log = o.log;
  o.shutdown_grace = std::chrono::milliseconds(static_cast<int64_t>(a.grace_s * 1000));
}

}  // namespace ofq::cli
