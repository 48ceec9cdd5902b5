// ofq digest FILE: the refget digests of each record (md5 and ga4gh sha512t24u), computed
// once and kept in FILE.ofqi.digests beside the index (ofq/digest.hpp).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <mutex>

#include "cli_util.hpp"
#include "commands.hpp"
#include "ofq/digest.hpp"
#include "ofq/error.hpp"
#include "ofq/sample.hpp"

namespace ofq::cli {

RunFn register_digest(CLI::App& app) {
  struct Args {
    std::string file, index_dir, out;
    unsigned threads = 2;
    bool quiet = false, no_write = false, trunc512 = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("digest", "List the refget digests (md5, ga4gh) of each record");
  cmd->add_option("file", a->file, "FASTA file (plain, gzip or BGZF)")->required();
  cmd->add_option("--index-dir", a->index_dir,
                  "Folder for indexes when the data folder is read-only [env OFQ_INDEX_DIR]");
  cmd->add_option("-o,--output", a->out, "Write the table here instead of stdout");
  cmd->add_option("--threads", a->threads, "Hashing threads, 1 or 2 [2]")->check(CLI::Range(1u, 2u));
  cmd->add_flag("--trunc512", a->trunc512, "Add a trunc512 column (refget v1 ids)");
  cmd->add_flag("--no-write", a->no_write, "Do not keep the digests in FILE.ofqi.digests");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar or summary");
  cmd->footer(
      "Prints id, length, md5, ga4gh (tab-separated, with a header line), one row per record.\n"
      "Digests are of the record's letters, uppercased (GA4GH refget). Records holding '-', '.'\n"
      "or '*' are not served by refget: their digests are '-'. The first run hashes the file\n"
      "(about 3 CPU-s per GB, on two threads) and keeps FILE.ofqi.digests; later runs read it.");
  return [a] {
    return guarded("digest", [&] {
      IndexOptions io;
      io.index_dir = a->index_dir;
      auto sample = Sample::open(a->file, io);
      DigestOptions opt;
      opt.threads = a->threads;
      opt.write = !a->no_write;
      auto bar = progress_bar(a->file + " digests", a->quiet);
      std::mutex m;
      if (bar)
        opt.progress = [&](uint64_t done, uint64_t total) {
          std::lock_guard<std::mutex> g(m);
          bar(done, total);
        };
      const DigestTable t = ensure_digests(*sample, opt);
      if (bar) bar(sample->index().total_bases(), sample->index().total_bases());

      Output out(a->out);
      std::string buf = a->trunc512 ? "id\tlength\tmd5\tga4gh\ttrunc512\n" : "id\tlength\tmd5\tga4gh\n";
      uint64_t not_served = 0;
      const FastaIndex& ix = sample->index();
      for (RecordId r = 0; r < ix.record_count(); ++r) {
        const RecordInfo info = ix.record(r);
        const RecordDigest& d = t.records[r];
        buf.append(info.name);
        buf += '\t';
        buf += std::to_string(info.length);
        if (d.state == DigestState::done) {
          buf += '\t';
          buf += md5_hex(d.digest.md5);
          buf += '\t';
          buf += ga4gh_id(d.digest.sha512t24);
          if (a->trunc512) {
            buf += '\t';
            buf += trunc512_hex(d.digest.sha512t24);
          }
        } else {
          ++not_served;
          buf += a->trunc512 ? "\t-\t-\t-" : "\t-\t-";
        }
        buf += '\n';
        if (buf.size() >= (1u << 16)) {
          out.sink().write(buf);
          buf.clear();
        }
      }
      out.sink().write(buf);
      out.sink().flush();
      out.commit();
      if (!a->quiet && not_served)
        std::fprintf(stderr,
                     "ofq digest: %llu record(s) hold '-', '.' or '*' and have no refget digest\n",
                     static_cast<unsigned long long>(not_served));
      return 0;
    });
  };
}

}  // namespace ofq::cli
