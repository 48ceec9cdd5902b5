// ofq index FILE...: build (or --check) the engine's index and the .fai beside it.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli_util.hpp"
#include "commands.hpp"
#include "ofq/error.hpp"
#include "ofq/fasta_index.hpp"
#include "ofq/sample.hpp"

namespace ofq::cli {
namespace {

uint64_t parse_size(const std::string& text) {
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used);
  } catch (...) {
    throw Error(Errc::bad_usage, "--spacing '" + text + "': expected a size such as 4M or 1048576");
  }
  std::string unit = text.substr(used);
  uint64_t mult = 1;
  if (unit == "" || unit == "B") mult = 1;
  else if (unit == "K" || unit == "k" || unit == "KiB") mult = 1ull << 10;
  else if (unit == "M" || unit == "MiB") mult = 1ull << 20;
  else if (unit == "G" || unit == "GiB") mult = 1ull << 30;
  else throw Error(Errc::bad_usage, "--spacing '" + text + "': unknown unit '" + unit + "' (use K, M or G)");
  if (v == 0 || v * mult < (64u << 10))
    throw Error(Errc::bad_usage, "--spacing '" + text + "': must be at least 64K");
  return v * mult;
}

}  // namespace

RunFn register_index(CLI::App& app) {
  struct Args {
    std::vector<std::string> files;
    std::string index_dir, spacing = "4M";
    bool check = false, full = false, quiet = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("index", "Index FASTA files (plain, gzip or BGZF) for random access");
  cmd->add_option("files", a->files, "FASTA files to index")->required();
  cmd->add_option("--index-dir", a->index_dir,
                  "Folder for indexes when the data folder is read-only [env OFQ_INDEX_DIR]");
  cmd->add_option("--spacing", a->spacing, "gzip: uncompressed bytes between checkpoints [4M]");
  cmd->add_flag("--check", a->check, "Say whether each index matches its file (exit 2 if not)");
  cmd->add_flag("--full", a->full, "With --check: read every byte, not only the fingerprint");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  cmd->footer("Writes FILE.ofqi and, when samtools can describe the file, FILE.fai (and FILE.gzi\n"
              "for BGZF) beside it, or in the index folder. 'ofq extract' builds a missing index itself.");
  return [a] {
    return guarded("index", [&] {
      IndexOptions opt;
      opt.index_dir = a->index_dir;
      opt.gzip_spacing_bytes = parse_size(a->spacing);
      int worst = 0;
      for (const auto& f : a->files) {
        if (a->check) {
          if (::access(f.c_str(), R_OK) != 0) {
            std::printf("%s: cannot read the FASTA file: %s\n", f.c_str(), std::strerror(errno));
            worst = std::max(worst, 3);
            continue;
          }
          const IndexCheck c = check_index(f, opt, a->full);
          const char* what = c.state == IndexState::fresh     ? "matches"
                             : c.state == IndexState::missing ? "is missing"
                             : c.state == IndexState::stale   ? "is stale"
                                                              : "is damaged";
          std::printf("%s: index %s %s%s%s\n", f.c_str(), c.index_path.c_str(), what,
                      c.detail.empty() ? "" : ": ", c.detail.c_str());
          if (c.state != IndexState::fresh) worst = 2;
          continue;
        }
        opt.progress = progress_bar(f, a->quiet);
        const std::string path = build_index(f, opt);
        if (!a->quiet) {
          FastaIndex idx = FastaIndex::open(path);
          std::fprintf(stderr, "%s: %zu records, %llu bases, %s -> %s\n", f.c_str(), idx.record_count(),
                       static_cast<unsigned long long>(idx.total_bases()), to_string(idx.compression()),
                       path.c_str());
        }
      }
      return worst;
    });
  };
}

}  // namespace ofq::cli
