// ofq extract FILE [POSITIONS]: a batch of positions in, one row per position out, in order.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli_util.hpp"
#include "commands.hpp"
#include "ofq/batch.hpp"
#include "ofq/error.hpp"
#include "ofq/output.hpp"
#include "ofq/positions.hpp"
#include "ofq/sample.hpp"

namespace ofq::cli {

RunFn register_extract(CLI::App& app) {
  struct Args {
    std::string file, positions, format = "csv", positions_format = "auto", output, index_dir;
    std::vector<std::string> regions;
    bool strict = false, quiet = false;
    unsigned width = 60, threads = 0;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("extract", "Extract a batch of positions from a FASTA file");
  cmd->add_option("file", a->file, "FASTA file (plain, gzip or BGZF)")->required();
  cmd->add_option("positions", a->positions,
                  "Positions file: CSV id,start,end[,type] (no header), TSV with header, BED, or "
                  "region lines; '-' or none: standard input (unless -r is given)");
  cmd->add_option("-r,--region", a->regions, "A samtools region name:from-to (1-based inclusive); repeatable");
  cmd->add_option("-f,--format", a->format, "Output: csv, tsv, fasta, json, ndjson [csv]")
      ->check(CLI::IsMember({"csv", "tsv", "fasta", "json", "ndjson"}));
  cmd->add_option("--positions-format", a->positions_format, "auto, csv, tsv, bed, regions [auto]")
      ->check(CLI::IsMember({"auto", "csv", "tsv", "bed", "regions"}));
  cmd->add_flag("--strict", a->strict, "An end past the sequence is an error (default: clamped)");
  cmd->add_option("-o,--output", a->output, "Write here (whole or not at all) instead of stdout");
  cmd->add_option("-w,--width", a->width, "FASTA line width, 0 for one line [60]");
  cmd->add_option("-t,--threads", a->threads, "Threads for large batches [all cores]");
  cmd->add_option("--index-dir", a->index_dir, "Folder for indexes [env OFQ_INDEX_DIR]");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress bar or summary on stderr");
  cmd->footer("Coordinates are 0-based half-open, like the original service, BED and Python;\n"
              "-r regions are 1-based inclusive like samtools. Bad rows are all reported (line,\n"
              "id, reason) and nothing is written. Exit: 0 done, 1 bad usage or positions,\n"
              "2 file refused or damaged, 3 I/O error, 4 internal error.");
  return [a] {
    return guarded("extract", [&] {
      IndexOptions iopt;
      iopt.index_dir = a->index_dir;
      refuse_overwriting_input(a->output, a->file, iopt, a->positions);
      iopt.progress = progress_bar(a->file, a->quiet);
      auto sample = Sample::open(a->file, iopt);
      BatchOptions bopt;
      bopt.strict = a->strict;
      bopt.threads = a->threads;
      Batch batch(sample, bopt);
      auto exists = [&](std::string_view n) { return sample->index().find(n).has_value(); };

      for (const auto& r : a->regions) {
        Position p;
        try {
          p = parse_region(r, [](std::string_view n, const void* c) {
            return (*static_cast<const decltype(exists)*>(c))(n);
          }, &exists);
        } catch (const Error& e) {
          batch.add_error(0, r, e.what());
          continue;
        }
        if (p.end == k_to_end)
          if (auto id = sample->index().find(p.id)) p.end = sample->index().record(*id).length;
        batch.add(p, 0);
      }
      if (!a->positions.empty() || a->regions.empty()) {
        std::ifstream file;
        std::istream* in = &std::cin;
        std::string name = a->positions.empty() || a->positions == "-" ? "standard input" : a->positions;
        if (in == &std::cin && name != "standard input") {
          std::error_code ec;
          if (std::filesystem::is_directory(a->positions, ec))
            throw Error(Errc::bad_usage, a->positions + ": is a folder; expected a positions file");
          file.open(a->positions, std::ios::binary);
          if (!file)
            throw Error(Errc::io_error, a->positions + ": cannot open positions file: " + std::strerror(errno));
          in = &file;
        }
        PositionReader reader(*in, name, *parse_positions_format(a->positions_format));
        reader.set_name_exists(exists);
        batch.set_with_names(reader.has_names());
        PositionReader::Item it;
        while (reader.next(it)) {
          if (!it.ok) {
            batch.add_error(it.line, it.pos.id, it.reason);
            continue;
          }
          // A region line naming a whole record ("chr2") asks for everything; numbers in
          // CSV/TSV/BED are taken as written.
          if (reader.format() == PositionsFormat::regions && it.pos.end == k_to_end)
            if (auto id = sample->index().find(it.pos.id)) it.pos.end = sample->index().record(*id).length;
          batch.add(it.pos, it.line);
        }
        if (batch.error_count()) {
          std::fprintf(stderr, "ofq extract: %s: %llu of %llu positions are invalid; nothing was written\n",
                       name.c_str(), static_cast<unsigned long long>(batch.error_count()),
                       static_cast<unsigned long long>(batch.size()));
          for (const auto& e : batch.errors())
            std::fprintf(stderr, "  line %llu: '%s': %s\n", static_cast<unsigned long long>(e.line), e.id.c_str(),
                         e.reason.c_str());
          if (batch.errors().size() < batch.error_count())
            std::fprintf(stderr, "  ... and %llu more\n",
                         static_cast<unsigned long long>(batch.error_count() - batch.errors().size()));
          return 1;
        }
      }
      if (batch.error_count()) {
        std::fprintf(stderr, "ofq extract: %llu of %llu regions are invalid; nothing was written\n",
                     static_cast<unsigned long long>(batch.error_count()),
                     static_cast<unsigned long long>(batch.size()));
        for (const auto& e : batch.errors()) std::fprintf(stderr, "  '%s': %s\n", e.id.c_str(), e.reason.c_str());
        return 1;
      }
      Output out(a->output);
      WriterOptions wopt;
      wopt.with_names = batch.with_names();
      wopt.fasta_width = a->width;
      // SEMANTICS.md's layouts: a JSON array, NDJSON objects; the clamping count goes to stderr.
      wopt.json_summary = false;
      auto writer = make_writer(*parse_output_format(a->format), out.sink(), wopt);
      const Summary s = batch.write(*writer);
      out.commit();
      if (s.clamped && !a->quiet)
        std::fprintf(stderr, "ofq extract: %llu rows, %llu with an end past the sequence, clamped\n",
                     static_cast<unsigned long long>(s.rows), static_cast<unsigned long long>(s.clamped));
      return 0;
    });
  };
}

}  // namespace ofq::cli
