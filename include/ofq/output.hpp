// Output formats of an answer (SEMANTICS.md, "Output"), written row by row to a sink, so
// that CLI and server stream the same bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ofq/region.hpp"

namespace ofq {

enum class OutputFormat : uint8_t { csv, tsv, fasta, json, ndjson };
[[nodiscard]] std::optional<OutputFormat> parse_output_format(std::string_view word) noexcept;
[[nodiscard]] std::string_view to_string(OutputFormat f) noexcept;
[[nodiscard]] std::string_view content_type(OutputFormat f) noexcept;

/// Where bytes go. write() may block (a socket draining); it throws to abort the answer.
class OutputSink {
public:
  virtual ~OutputSink() = default;
  virtual void write(std::string_view bytes) = 0;
  virtual void flush() {}
};

struct RowMeta {
  std::string_view id;
  uint64_t start = 0;
  uint64_t end = 0;  ///< as requested (before clamping)
  SeqType type = SeqType::raw;
  std::string_view name;  ///< BED name, when the batch has names
};

struct Summary {
  uint64_t rows = 0;
  uint64_t clamped = 0;
};

struct WriterOptions {
  bool with_names = false;      ///< add the BED name column (CSV/TSV/JSON) / header (FASTA)
  unsigned fasta_width = 60;    ///< 0: one line
  /// true (the /v1 API): json is {"sequences": [...], "clamped": n} and ndjson ends with a
  /// {"summary": ...} line; false (the CLI, SEMANTICS.md): a bare array / objects only.
  bool json_summary = true;
};

/// Formats rows. A row is begin_row, any number of pieces, end_row. Buffers internally and
/// hands the sink blocks of about 64 KiB.
class RowWriter {
public:
  virtual ~RowWriter() = default;
  virtual void begin() = 0;
  virtual void begin_row(const RowMeta& meta) = 0;
  virtual void piece(std::string_view bases) = 0;
  virtual void end_row() = 0;
  /// Writes the closing bytes (JSON's "]", the ndjson summary) and flushes the sink.
  virtual void finish(const Summary& summary) = 0;
  /// ndjson: writes {"error": ...} as the last line; other formats write nothing.
  virtual void fail(std::string_view code, std::string_view message) = 0;

  void row(const RowMeta& meta, std::string_view bases) {
    begin_row(meta);
    piece(bases);
    end_row();
  }
};

[[nodiscard]] std::unique_ptr<RowWriter> make_writer(OutputFormat f, OutputSink& sink,
                                                     const WriterOptions& opt = {});

/// A sink that writes to a file descriptor, throwing Error(io_error) on failure.
class FdSink : public OutputSink {
public:
  explicit FdSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void write(std::string_view bytes) override;

private:
  int fd_;
  std::string name_;
};

/// A sink that appends to a string (tests, small server answers).
class StringSink : public OutputSink {
public:
  void write(std::string_view bytes) override { data.append(bytes); }
  std::string data;
};

}  // namespace ofq
