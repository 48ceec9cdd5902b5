// Positions files, read line by line so that every message can name its line. CSV lines go
// through libcsv (quoted ids); FASTA names hold no newline, so a row never spans lines.
#include "ofq/positions.hpp"

#include <csv.h>

#include <charconv>
#include <functional>
#include <vector>

#include "ofq/error.hpp"

namespace ofq {

std::optional<PositionsFormat> parse_positions_format(std::string_view w) noexcept {
  if (w == "auto") return PositionsFormat::automatic;
  if (w == "csv") return PositionsFormat::csv;
  if (w == "tsv") return PositionsFormat::tsv;
  if (w == "bed") return PositionsFormat::bed;
  if (w == "regions" || w == "txt") return PositionsFormat::regions;
  return std::nullopt;
}

std::string_view to_string(PositionsFormat f) noexcept {
  switch (f) {
    case PositionsFormat::automatic: return "auto";
    case PositionsFormat::csv: return "csv";
    case PositionsFormat::tsv: return "tsv";
    case PositionsFormat::bed: return "bed";
    case PositionsFormat::regions: return "regions";
  }
  return "auto";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool ends_with(std::string_view s, std::string_view suf) {
  return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto k = s.find(sep);
    out.push_back(s.substr(0, k));
    if (k == std::string_view::npos) break;
    s.remove_prefix(k + 1);
  }
  return out;
}

// "" when fine; else what is wrong with the number, for a row's reason.
std::string parse_coordinate(std::string_view field, const char* what, uint64_t& out) {
  std::string_view s = trim(field);
  if (s.empty()) return std::string(what) + " is missing";
  if (s.front() == '-') {
    bool digits = s.size() > 1 && s.find_first_not_of("0123456789", 1) == std::string_view::npos;
    if (digits) return std::string(what) + " " + std::string(s) + " is negative";
    return std::string(what) + " '" + std::string(s) + "' is not a whole number";
  }
  if (s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec == std::errc::result_out_of_range) return std::string(what) + " " + std::string(s) + " is too large";
  if (ec != std::errc() || p != s.data() + s.size())
    return std::string(what) + " '" + std::string(field) + "' is not a whole number";
  return {};
}

bool set_type(std::string_view field, PositionReader::Item& it) {
  std::string_view t = trim(field);
  if (t.empty()) {
    it.pos.type = SeqType::raw;
    return true;
  }
  if (auto k = parse_seq_type(t)) {
    it.pos.type = *k;
    return true;
  }
  it.ok = false;
  it.reason = "unknown type '" + std::string(t) + "' (expected raw, complement or reverse_complement)";
  return false;
}

// libcsv delivers fields through callbacks.
struct CsvRow {
  std::vector<std::string> fields;
  static void on_field(void* s, size_t n, void* self) {
    static_cast<CsvRow*>(self)->fields.emplace_back(static_cast<const char*>(s), n);
  }
  static void on_row(int, void*) {}
};

}  // namespace

struct PositionReader::Impl {
  std::istream& in;
  std::string name;
  PositionsFormat format;
  uint64_t line = 0;
  bool has_names = false;
  bool pending_valid = false;  // a line read ahead while detecting the format
  std::string pending;
  std::string buf;
  // TSV columns.
  int col_id = -1, col_start = -1, col_end = -1, col_type = -1, col_name = -1;
  std::function<bool(std::string_view)> name_exists;
  csv_parser parser{};

  Impl(std::istream& i, std::string n, PositionsFormat f) : in(i), name(std::move(n)), format(f) {
    csv_init(&parser, CSV_APPEND_NULL);
  }
  ~Impl() { csv_free(&parser); }

  bool getline(std::string& out) {
    if (pending_valid) {
      pending_valid = false;
      out.swap(pending);
      ++line;
      return true;
    }
    if (!std::getline(in, out)) return false;
    ++line;
    if (!out.empty() && out.back() == '\r') out.pop_back();
    return true;
  }
};

PositionReader::PositionReader(std::istream& in, std::string name, PositionsFormat format)
    : impl_(std::make_unique<Impl>(in, std::move(name), format)) {
  auto& im = *impl_;
  if (im.format == PositionsFormat::automatic) {
    const std::string& n = im.name;
    if (ends_with(n, ".csv")) im.format = PositionsFormat::csv;
    else if (ends_with(n, ".tsv")) im.format = PositionsFormat::tsv;
    else if (ends_with(n, ".bed")) im.format = PositionsFormat::bed;
    else if (ends_with(n, ".txt") || ends_with(n, ".regions")) im.format = PositionsFormat::regions;
  }
  // Look at the first non-empty line: it decides the format by content if need be, and a
  // TSV header or a BED name column.
  std::string first;
  uint64_t skipped = 0;
  bool got = false;
  while (std::getline(im.in, first)) {
    if (!first.empty() && first.back() == '\r') first.pop_back();
    std::string_view t = trim(first);
    // BED header lines say nothing about the columns: look past them.
    const bool bed_header = im.format != PositionsFormat::csv && im.format != PositionsFormat::tsv &&
                            (t.starts_with("#") || t.starts_with("track") || t.starts_with("browser"));
    if (!t.empty() && !bed_header) {
      got = true;
      break;
    }
    ++skipped;
  }
  im.line = skipped;
  if (!got) return;
  if (im.format == PositionsFormat::automatic) {
    auto tabs = split(first, '\t');
    if (tabs[0] == "id" || tabs[0] == "sequence_id") im.format = PositionsFormat::tsv;
    else if (first.find(',') != std::string::npos && tabs.size() == 1) im.format = PositionsFormat::csv;
    else if (tabs.size() >= 3) im.format = PositionsFormat::bed;
    else im.format = PositionsFormat::regions;
  }
  if (im.format == PositionsFormat::tsv) {
    ++im.line;  // the header is line 1 (after any blank lines)
    auto cols = split(first, '\t');
    for (int i = 0; i < int(cols.size()); ++i) {
      auto c = trim(cols[size_t(i)]);
      int* col = c == "id" || c == "sequence_id" ? &im.col_id
                 : c == "start"                  ? &im.col_start
                 : c == "end"                    ? &im.col_end
                 : c == "type"                   ? &im.col_type
                 : c == "name"                   ? &im.col_name
                                                 : nullptr;
      if (!col) continue;
      // Two columns for one field: which one is meant cannot be told, so neither is taken.
      if (*col >= 0)
        throw Error(Errc::bad_positions,
                    im.name + ": line " + std::to_string(im.line) + ": the header names the " +
                        (col == &im.col_id ? std::string("id (id or sequence_id)") : std::string(c)) +
                        " column twice (columns " + std::to_string(*col + 1) + " and " + std::to_string(i + 1) +
                        ")");
      *col = i;
    }
    if (im.col_id < 0 || im.col_start < 0 || im.col_end < 0)
      throw Error(Errc::bad_positions, im.name + ": line " + std::to_string(im.line) +
                                           ": a TSV positions file needs a header with columns "
                                           "id, start and end (and optionally type, name); found '" +
                                           first + "'");
    im.has_names = im.col_name >= 0;
    return;
  }
  if (im.format == PositionsFormat::bed) {
    auto f = split(first, '\t');
    if (f.size() == 1) f = split(first, ' ');
    im.has_names = f.size() >= 4 && !(f[0] == "track" || f[0] == "browser" || f[0].starts_with("#"));
  }
  im.pending = std::move(first);
  im.pending_valid = true;
}

PositionReader::~PositionReader() = default;

PositionsFormat PositionReader::format() const noexcept { return impl_->format; }
bool PositionReader::has_names() const noexcept { return impl_->has_names; }

void PositionReader::set_name_exists(std::function<bool(std::string_view)> f) {
  impl_->name_exists = std::move(f);
}

bool PositionReader::next(Item& it) {
  auto& im = *impl_;
  std::string& s = im.buf;
  for (;;) {
    if (!im.getline(s)) return false;
    if (trim(s).empty()) continue;
    it = Item{};
    it.line = im.line;
    switch (im.format) {
      case PositionsFormat::automatic:
      case PositionsFormat::csv: {
        CsvRow row;
        csv_parse(&im.parser, s.data(), s.size(), CsvRow::on_field, CsvRow::on_row, &row);
        csv_fini(&im.parser, CsvRow::on_field, CsvRow::on_row, &row);
        auto& f = row.fields;
        if (f.size() < 3 || f.size() > 4) {
          it.ok = false;
          it.pos.id = f.empty() ? "" : f[0];
          it.reason = "expected 3 or 4 fields (sequence_id,start,end[,type]), found " +
                      std::to_string(f.size());
          return true;
        }
        it.pos.id = f[0];
        if (auto r = parse_coordinate(f[1], "start", it.pos.start); !r.empty()) {
          it.ok = false;
          it.reason = r;
        } else if (auto r2 = parse_coordinate(f[2], "end", it.pos.end); !r2.empty()) {
          it.ok = false;
          it.reason = r2;
        } else if (f.size() == 4) {
          set_type(f[3], it);
        }
        return true;
      }
      case PositionsFormat::tsv: {
        auto f = split(s, '\t');
        const int need = std::max({im.col_id, im.col_start, im.col_end, im.col_type, im.col_name});
        if (int(f.size()) <= std::max({im.col_id, im.col_start, im.col_end})) {
          it.ok = false;
          it.pos.id = im.col_id < int(f.size()) ? std::string(f[size_t(im.col_id)]) : "";
          it.reason = "expected " + std::to_string(need + 1) + " tab-separated fields, found " +
                      std::to_string(f.size());
          return true;
        }
        it.pos.id = std::string(f[size_t(im.col_id)]);
        if (auto r = parse_coordinate(f[size_t(im.col_start)], "start", it.pos.start); !r.empty()) {
          it.ok = false;
          it.reason = r;
        } else if (auto r2 = parse_coordinate(f[size_t(im.col_end)], "end", it.pos.end); !r2.empty()) {
          it.ok = false;
          it.reason = r2;
        } else if (im.col_type >= 0 && im.col_type < int(f.size())) {
          set_type(f[size_t(im.col_type)], it);
        }
        if (im.col_name >= 0 && im.col_name < int(f.size())) it.pos.name = std::string(f[size_t(im.col_name)]);
        return true;
      }
      case PositionsFormat::bed: {
        std::string_view t = trim(s);
        if (t.starts_with("#") || t.starts_with("track") || t.starts_with("browser")) continue;
        auto f = split(s, '\t');
        if (f.size() == 1) f = split(s, ' ');
        if (f.size() < 3) {
          it.ok = false;
          it.pos.id = std::string(f[0]);
          it.reason = "expected at least 3 BED fields (chrom, chromStart, chromEnd), found " +
                      std::to_string(f.size());
          return true;
        }
        it.pos.id = std::string(f[0]);
        if (auto r = parse_coordinate(f[1], "start", it.pos.start); !r.empty()) {
          it.ok = false;
          it.reason = r;
        } else if (auto r2 = parse_coordinate(f[2], "end", it.pos.end); !r2.empty()) {
          it.ok = false;
          it.reason = r2;
        }
        if (f.size() >= 4) it.pos.name = std::string(f[3]);
        if (f.size() >= 6) {
          std::string_view strand = trim(f[5]);
          if (strand == "-") it.pos.type = SeqType::reverse_complement;
          else if (strand != "+" && strand != "." && it.ok) {
            it.ok = false;
            it.reason = "strand '" + std::string(strand) + "' (expected +, - or .)";
          }
        }
        return true;
      }
      case PositionsFormat::regions: {
        std::string_view t = trim(s);
        try {
          auto cb = [](std::string_view n, const void* ctx) {
            const auto* f = static_cast<const std::function<bool(std::string_view)>*>(ctx);
            return *f && (*f)(n);
          };
          it.pos = parse_region(t, cb, &im.name_exists);
        } catch (const Error& e) {
          it.ok = false;
          it.pos.id = std::string(t);
          it.reason = e.what();
        }
        return true;
      }
    }
  }
}

}  // namespace ofq
