// What every subcommand shares: turning engine errors into one line on stderr and an exit
// code, the progress bar, and output files that appear whole or not at all.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ofq/output.hpp"
#include "ofq/sample.hpp"

namespace ofq::cli {

/// Runs `body`; an ofq::Error becomes "ofq CMD: message" (and its rows) on stderr and the
/// error's exit code; anything else is exit 4.
int guarded(const char* command, const std::function<int()>& body);

/// A progress function for index builds: a bar on stderr when it is a terminal and not quiet.
ProgressFn progress_bar(const std::string& label, bool quiet);

/// Throws Error(bad_usage) when `output` names the same file as `input` (-o genome.fa).
/// Throws Error(bad_usage) when `output` is the FASTA file, the positions (or regions) file,
/// or one of the FASTA's index files (FILE.ofqi, .fai, .gzi, .digests), by inode.
void refuse_overwriting_input(const std::string& output, const std::string& input, const IndexOptions& iopt,
                              const std::string& positions = "");

/// For CLI11's check(): a whole number of 1 or more (limits, timeouts, thread counts). A 0
/// would make the server refuse everything or time out at once.
const CLI::Validator& at_least_one();

/// For check(): a finite decimal number of at least `min` (a grace period, a burst size).
CLI::Validator number_at_least(double min);

/// Where an answer goes: stdout, or a file written to FILE.tmp.PID and renamed on commit().
class Output {
public:
  explicit Output(const std::string& path);  ///< "" or "-": stdout
  ~Output();
  OutputSink& sink() { return *sink_; }
  void commit();

private:
  std::string path_, tmp_;
  int fd_ = 1;
  std::unique_ptr<OutputSink> sink_;
};

}  // namespace ofq::cli
