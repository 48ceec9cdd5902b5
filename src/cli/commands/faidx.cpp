// ofq faidx: the common uses of `samtools faidx`, with the same bytes out, so that scripts
// can switch by changing the command name. Regions are samtools' (1-based inclusive).
#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <fstream>

#include "cli_util.hpp"
#include "commands.hpp"
#include "ofq/error.hpp"
#include "ofq/output.hpp"
#include "ofq/sample.hpp"

namespace ofq::cli {

RunFn register_faidx(CLI::App& app) {
  struct Args {
    std::string file, region_file, output, mark = "rc", index_dir;
    std::vector<std::string> regions;
    bool reverse = false, keep_going = false;
    std::string width = "60";  // text: samtools takes any number and falls back to 60
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("faidx", "samtools faidx drop-in: index, or print regions as FASTA");
  cmd->add_option("file", a->file, "FASTA file (plain, gzip or BGZF)")->required();
  cmd->add_option("regions", a->regions, "Regions name[:from[-to]], 1-based inclusive");
  cmd->add_option("-r,--region-file", a->region_file, "File of regions, one per line");
  cmd->add_option("-o,--output", a->output, "Write FASTA to this file");
  cmd->add_option("-n,--length", a->width, "Length of FASTA sequence lines [60]");
  cmd->add_flag("-i,--reverse-complement", a->reverse, "Reverse complement sequences");
  cmd->add_option("--mark-strand", a->mark, "With -i: rc (/rc), no, sign ((+)/(-)), custom,<pos>,<neg> [rc]");
  cmd->add_flag("-c,--continue", a->keep_going, "Continue after a missing region");
  cmd->add_option("--index-dir", a->index_dir, "Folder for indexes [env OFQ_INDEX_DIR]");
  return [a] {
    return guarded("faidx", [&] {
      std::string pos_mark, neg_mark = "/rc";
      if (a->mark == "no") neg_mark = "";
      else if (a->mark == "sign") pos_mark = "(+)", neg_mark = "(-)";
      else if (a->mark.rfind("custom,", 0) == 0) {
        auto rest = a->mark.substr(7);
        auto comma = rest.find(',');
        if (comma == std::string::npos)
          throw Error(Errc::bad_usage, "--mark-strand custom needs custom,<pos>,<neg>");
        pos_mark = rest.substr(0, comma);
        neg_mark = rest.substr(comma + 1);
      } else if (a->mark != "rc")
        throw Error(Errc::bad_usage, "--mark-strand '" + a->mark + "': expected rc, no, sign or custom,<pos>,<neg>");
      // Like samtools: a line length that is not a positive number warns and uses 60.
      size_t width = 60;
      {
        long long v = 0;
        auto [p, ec] = std::from_chars(a->width.data(), a->width.data() + a->width.size(), v);
        if (ec == std::errc() && p == a->width.data() + a->width.size() && v > 0)
          width = size_t(v);
        else
          std::fprintf(stderr, "[faidx] bad line length '%s', using default:60\n", a->width.c_str());
      }
      IndexOptions iopt;
      iopt.index_dir = a->index_dir;
      refuse_overwriting_input(a->output, a->file, iopt, a->region_file);
      auto sample = Sample::open(a->file, iopt);
      std::vector<std::string> regions = a->regions;
      if (!a->region_file.empty()) {
        std::ifstream in(a->region_file);
        if (!in) throw Error(Errc::io_error, a->region_file + ": cannot open region file");
        for (std::string line; std::getline(in, line);)
          if (!line.empty()) regions.push_back(line);
      }
      if (regions.empty()) return 0;  // like samtools: indexing was the job
      Output out(a->output);
      std::string buf, seq;
      auto exists = [&](std::string_view n) { return sample->index().find(n).has_value(); };
      auto cb = [](std::string_view n, const void* c) { return (*static_cast<const decltype(exists)*>(c))(n); };
      const SeqType type = a->reverse ? SeqType::reverse_complement : SeqType::raw;
      for (const auto& r : regions) {
        buf = ">" + r + (a->reverse ? neg_mark : pos_mark) + "\n";
        const SamtoolsRegion reg = parse_samtools_region(r, cb, &exists);
        const Position& p = reg.pos;
        const bool parsed = reg.kind == SamtoolsRegion::fetch;
        std::optional<RecordId> id;
        if (reg.kind == SamtoolsRegion::invalid)
          std::fprintf(stderr, "[faidx] region '%s': %s\n", r.c_str(), reg.why.c_str());
        else
          id = sample->index().find(p.id);
        // samtools' .fai has no line for a record without bases: it cannot find one.
        if (id && sample->index().record(*id).length == 0) id.reset();
        if (!id) {
          std::fprintf(stderr, "[faidx] Failed to fetch sequence in %s\n", r.c_str());
          out.sink().write(buf);
          if (!a->keep_going) {
            out.commit();
            return 1;
          }
          continue;
        }
        seq.clear();
        if (parsed) {
          const uint64_t len = sample->index().record(*id).length;
          if (p.end != k_to_end && p.end > len) std::fprintf(stderr, "[faidx] Truncated sequence: %s\n", r.c_str());
          sample->fetch(*id, p.start, p.end, type, seq);
        }
        if (seq.empty()) std::fprintf(stderr, "[faidx] Zero length sequence: %s\n", r.c_str());
        const size_t w = width;
        for (size_t i = 0; i < seq.size(); i += w) {
          buf.append(seq, i, w);
          buf += '\n';
        }
        out.sink().write(buf);
      }
      out.commit();
      return 0;
    });
  };
}

}  // namespace ofq::cli
