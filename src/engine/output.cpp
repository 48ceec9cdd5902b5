// The answer formats of SEMANTICS.md ("Output"). Writers buffer ~64 KiB and hand whole
// blocks to the sink, so a socket or a pipe sees few, large writes.
//
// Sequences never need escaping or quoting in any format: the scanner admits only letters,
// '-', '.' and '*' as bases. Ids and BED names can hold anything but tab and newline, so
// they go through libcsv (CSV) and nlohmann::json (JSON).
#include "ofq/output.hpp"

#include <csv.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "ofq/error.hpp"

namespace ofq {

std::optional<OutputFormat> parse_output_format(std::string_view w) noexcept {
  if (w == "csv") return OutputFormat::csv;
  if (w == "tsv") return OutputFormat::tsv;
  if (w == "fasta" || w == "fa") return OutputFormat::fasta;
  if (w == "json") return OutputFormat::json;
  if (w == "ndjson" || w == "jsonl") return OutputFormat::ndjson;
  return std::nullopt;
}

std::string_view to_string(OutputFormat f) noexcept {
  switch (f) {
    case OutputFormat::csv: return "csv";
    case OutputFormat::tsv: return "tsv";
    case OutputFormat::fasta: return "fasta";
    case OutputFormat::json: return "json";
    case OutputFormat::ndjson: return "ndjson";
  }
  return "csv";
}

std::string_view content_type(OutputFormat f) noexcept {
  switch (f) {
    case OutputFormat::csv: return "text/csv; charset=utf-8";
    case OutputFormat::tsv: return "text/tab-separated-values; charset=utf-8";
    case OutputFormat::fasta: return "text/x-fasta; charset=utf-8";
    case OutputFormat::json: return "application/json";
    case OutputFormat::ndjson: return "application/x-ndjson";
  }
  return "text/plain";
}

void FdSink::write(std::string_view bytes) {
  const char* p = bytes.data();
  size_t n = bytes.size();
  while (n) {
    ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error(Errc::io_error, name_ + ": write failed: " + std::strerror(errno));
    p += w;
    n -= size_t(w);
  }
}

namespace {

constexpr size_t k_block = 64 << 10;

class BufferedWriter : public RowWriter {
public:
  BufferedWriter(OutputSink& sink, const WriterOptions& opt) : sink_(sink), opt_(opt) {
    buf_.reserve(k_block * 2);
  }
  void fail(std::string_view, std::string_view) override { flush_all(); }

protected:
  void maybe_flush() {
    if (buf_.size() >= k_block) {
      sink_.write(buf_);
      buf_.clear();
    }
  }
  void flush_all() {
    if (!buf_.empty()) sink_.write(buf_);
    buf_.clear();
    sink_.flush();
  }
  void number(uint64_t v) {
    char tmp[24];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
    buf_.append(tmp, size_t(r.ptr - tmp));
  }
  // Long pieces bypass the buffer: a 100 MB record is not copied twice.
  void bases(std::string_view s) {
    if (s.size() >= k_block) {
      if (!buf_.empty()) {
        sink_.write(buf_);
        buf_.clear();
      }
      sink_.write(s);
      return;
    }
    buf_.append(s);
    maybe_flush();
  }

  OutputSink& sink_;
  WriterOptions opt_;
  std::string buf_;
};

void csv_field(std::string& out, std::string_view f) {
  if (f.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(f);
    return;
  }
  std::string q(f.size() * 2 + 2, '\0');
  q.resize(csv_write(q.data(), q.size(), f.data(), f.size()));
  out.append(q);
}

class DelimitedWriter final : public BufferedWriter {
public:
  DelimitedWriter(OutputSink& s, const WriterOptions& o, char sep) : BufferedWriter(s, o), sep_(sep) {}
  void begin() override {
    buf_ += sep_ == ',' ? (opt_.with_names ? "id,start,end,type,name,sequence\n" : "id,start,end,type,sequence\n")
                        : (opt_.with_names ? "id\tstart\tend\ttype\tname\tsequence\n"
                                           : "id\tstart\tend\ttype\tsequence\n");
  }
  void begin_row(const RowMeta& m) override {
    field(m.id);
    buf_ += sep_;
    number(m.start);
    buf_ += sep_;
    number(m.end);
    buf_ += sep_;
    buf_.append(to_string(m.type));
    buf_ += sep_;
    if (opt_.with_names) {
      field(m.name);
      buf_ += sep_;
    }
  }
  void piece(std::string_view b) override { bases(b); }
  void end_row() override {
    buf_ += '\n';
    maybe_flush();
  }
  void finish(const Summary&) override { flush_all(); }

private:
  void field(std::string_view f) {
    if (sep_ == ',')
      csv_field(buf_, f);
    else
      buf_.append(f);
  }
  char sep_;
};

class FastaWriter final : public BufferedWriter {
public:
  using BufferedWriter::BufferedWriter;
  void begin() override {}
  void begin_row(const RowMeta& m) override {
    buf_ += '>';
    if (opt_.with_names && !m.name.empty()) {
      buf_.append(m.name);
      buf_ += ' ';
    }
    buf_.append(m.id);
    buf_ += ':';
    number(m.start);
    buf_ += '-';
    number(m.end);
    buf_ += ' ';
    buf_.append(to_string(m.type));
    buf_ += '\n';
    col_ = 0;
    wrote_any_ = false;
  }
  void piece(std::string_view b) override {
    const size_t w = opt_.fasta_width;
    if (w == 0) {
      wrote_any_ = wrote_any_ || !b.empty();
      bases(b);
      return;
    }
    while (!b.empty()) {
      const size_t n = std::min(b.size(), w - col_);
      buf_.append(b.substr(0, n));
      b.remove_prefix(n);
      col_ += n;
      if (col_ == w) {
        buf_ += '\n';
        col_ = 0;
      }
      maybe_flush();
    }
  }
  void end_row() override {
    // A full last line already ended; an empty sequence has a header and no line.
    if (col_ > 0 || (opt_.fasta_width == 0 && wrote_any_)) buf_ += '\n';
    col_ = 0;
    maybe_flush();
  }
  void finish(const Summary&) override { flush_all(); }

private:
  size_t col_ = 0;
  bool wrote_any_ = false;
};

class JsonWriter final : public BufferedWriter {
public:
  JsonWriter(OutputSink& s, const WriterOptions& o, bool nd) : BufferedWriter(s, o), nd_(nd) {}
  void begin() override {
    if (!nd_) buf_ += opt_.json_summary ? "{\"sequences\": [" : "[";
  }
  void begin_row(const RowMeta& m) override {
    if (!nd_ && rows_ > 0) buf_ += ", ";
    ++rows_;
    row_open_ = true;
    buf_ += "{\"id\": ";
    buf_ += nlohmann::json(m.id).dump();
    buf_ += ", \"start\": ";
    number(m.start);
    buf_ += ", \"end\": ";
    number(m.end);
    buf_ += ", \"type\": \"";
    buf_.append(to_string(m.type));
    buf_ += '"';
    if (opt_.with_names) {
      buf_ += ", \"name\": ";
      buf_ += nlohmann::json(m.name).dump();
    }
    buf_ += ", \"sequence\": \"";
  }
  void piece(std::string_view b) override { bases(b); }
  void end_row() override {
    buf_ += "\"}";
    if (nd_) buf_ += '\n';
    row_open_ = false;
    maybe_flush();
  }
  void finish(const Summary& s) override {
    if (nd_) {
      if (opt_.json_summary) {
        buf_ += "{\"summary\": {\"rows\": ";
        number(s.rows);
        buf_ += ", \"clamped\": ";
        number(s.clamped);
        buf_ += "}}\n";
      }
    } else {
      buf_ += "]";
      if (opt_.json_summary) {
        buf_ += ", \"clamped\": ";
        number(s.clamped);
        buf_ += "}";
      }
      buf_ += "\n";
    }
    flush_all();
  }
  void fail(std::string_view code, std::string_view message) override {
    if (nd_) {
      // A row cut short by the failure is left unterminated: the error starts its own line.
      if (row_open_) buf_ += '\n';
      row_open_ = false;
      nlohmann::json e = {{"error", {{"error", code}, {"message", message}}}};
      buf_ += e.dump();
      buf_ += '\n';
    }
    flush_all();
  }

private:
  bool nd_;
  bool row_open_ = false;
  uint64_t rows_ = 0;
};

}  // namespace

std::unique_ptr<RowWriter> make_writer(OutputFormat f, OutputSink& sink, const WriterOptions& opt) {
  switch (f) {
    case OutputFormat::csv: return std::make_unique<DelimitedWriter>(sink, opt, ',');
    case OutputFormat::tsv: return std::make_unique<DelimitedWriter>(sink, opt, '\t');
    case OutputFormat::fasta: return std::make_unique<FastaWriter>(sink, opt);
    case OutputFormat::json: return std::make_unique<JsonWriter>(sink, opt, false);
    case OutputFormat::ndjson: return std::make_unique<JsonWriter>(sink, opt, true);
  }
  return nullptr;
}

}  // namespace ofq
