// One pass over FASTA text, in chunks of any size, at memchr speed for the common case.
//
// Each sequence line is classified with one table lookup per byte, OR-ed into a mask, so a
// clean line costs a memchr and a tight loop; only a line whose mask shows something unusual
// (whitespace, a foreign letter, a bad byte) is looked at again. Header lines are gathered in
// a small carry buffer; sequence lines are never buffered, so a record of one 1 GB line costs
// no memory.
#include <emmintrin.h>  // SSE2: part of every x86-64, so no dispatch is needed

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>

#include "fasta_scanner_internal.hpp"
#include "ofq/error.hpp"
#include "ofq/fasta_index.hpp"

namespace ofq::detail {
namespace {

// Byte classes, OR-ed over a line.
enum : uint8_t {
  k_nuc = 1,       // a letter of SEMANTICS.md's complement table
  k_t = 2,         // T or t
  k_u = 4,         // U or u
  k_foreign = 8,   // a letter outside the table: the record is protein
  k_gap = 16,      // - . *
  k_space = 32,    // space, tab, \r: allowed only at the end of a line
  k_gt = 64,       // '>' inside a sequence line
  k_bad = 128,     // anything else
};

struct ByteClasses {
  uint8_t c[256];
  constexpr ByteClasses() : c() {
    for (int i = 0; i < 256; ++i) c[i] = k_bad;
    for (int i = 'A'; i <= 'Z'; ++i) c[i] = c[i + 32] = k_foreign;
    for (const char* p = "ACGTURYSWKMBDHVN"; *p; ++p) c[uint8_t(*p)] = c[uint8_t(*p) + 32] = k_nuc;
    c[uint8_t('T')] = c[uint8_t('t')] = k_nuc | k_t;
    c[uint8_t('U')] = c[uint8_t('u')] = k_nuc | k_u;
    c[uint8_t('-')] = c[uint8_t('.')] = c[uint8_t('*')] = k_gap;
    c[uint8_t(' ')] = c[uint8_t('\t')] = c[uint8_t('\r')] = k_space;
    c[uint8_t('>')] = k_gt;
  }
};
constexpr ByteClasses k_classes;

std::string quote_byte(unsigned char c) {
  char buf[16];
  if (c >= 0x21 && c < 0x7f)
    std::snprintf(buf, sizeof buf, "'%c'", c);
  else
    std::snprintf(buf, sizeof buf, "byte 0x%02X", c);
  return buf;
}

// The common line: only a/c/g/t/n/u in either case. 16 bytes at a time, OR-ing 0x20 folds
// case; this is what keeps indexing near memory speed (the table path costs ~3x as much).
// Sets *t / *u when the line holds T or U; false when any byte is something else.
bool plain_nucleotides(const char* p, size_t n, bool* t, bool* u) {
  const __m128i fold = _mm_set1_epi8(0x20);
  const __m128i a = _mm_set1_epi8('a'), c = _mm_set1_epi8('c'), g = _mm_set1_epi8('g'),
                tt = _mm_set1_epi8('t'), nn = _mm_set1_epi8('n'), uu = _mm_set1_epi8('u');
  __m128i seen_t = _mm_setzero_si128(), seen_u = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), fold);
    const __m128i is_t = _mm_cmpeq_epi8(v, tt), is_u = _mm_cmpeq_epi8(v, uu);
    const __m128i ok = _mm_or_si128(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, a), _mm_cmpeq_epi8(v, c)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, g), _mm_cmpeq_epi8(v, nn))),
        _mm_or_si128(is_t, is_u));
    if (_mm_movemask_epi8(ok) != 0xFFFF) return false;
    seen_t = _mm_or_si128(seen_t, is_t);
    seen_u = _mm_or_si128(seen_u, is_u);
  }
  bool bt = _mm_movemask_epi8(seen_t) != 0, bu = _mm_movemask_epi8(seen_u) != 0;
  for (; i < n; ++i) {
    const char x = char(p[i] | 0x20);
    if (x == 't') bt = true;
    else if (x == 'u') bu = true;
    else if (x != 'a' && x != 'c' && x != 'g' && x != 'n') return false;
  }
  *t = *t || bt;
  *u = *u || bu;
  return true;
}

}  // namespace

struct FastaScanner::State {
  // Position in the text.
  uint64_t offset = 0;  // of the next byte fed
  uint64_t line = 1;    // 1-based number of the line being read

  enum class Where { line_start, header, sequence } where = Where::line_start;
  std::string header;  // carry for a header line split across chunks
  uint64_t header_line = 0;

  // The sequence line being read.
  uint64_t line_offset = 0;
  uint64_t line_bases = 0;
  uint64_t line_spaces = 0;  // trailing whitespace seen so far
  uint8_t line_mask = 0;

  // The record being read.
  bool in_record = false;
  format::RecordEntry rec{};
  uint64_t rec_header_line = 0;
  bool rec_fai_ok = true;
  bool rec_seen_t = false, rec_seen_u = false, rec_foreign = false;
  size_t rec_first_run = 0;     // index into runs of this record's first run
  bool run_open = false;        // the next line may continue the current run
  uint64_t run_lines = 0;
};

FastaScanner::FastaScanner(std::string file_name)
    : file_name_(std::move(file_name)), st_(std::make_unique<State>()) {}
FastaScanner::~FastaScanner() = default;

namespace {

[[noreturn]] void refuse(const std::string& file, uint64_t line, const std::string& record,
                         const std::string& what) {
  std::string msg = file + ": line " + std::to_string(line);
  if (!record.empty()) msg += ", record '" + record + "'";
  msg += ": " + what;
  throw Error(Errc::file_refused, msg);
}

}  // namespace

// Called at the end of every sequence line (terminator included in `bytes`).
static void end_sequence_line(FastaScanner& s, FastaScanner::State& st, uint64_t bytes,
                              bool has_terminator) {
  // The file's last line has no '\n': count one, as samtools does for its .fai (the value
  // never moves a base: a last line is the last of its run).
  if (!has_terminator) ++bytes;
  const uint64_t nb = st.line_bases;
  auto& rec = st.rec;
  if (nb == 0) {  // blank or whitespace-only line
    if (rec.length == 0) st.rec_fai_ok = false;  // samtools refuses a blank line before bases
    st.run_open = false;
    return;
  }
  const size_t nruns = s.runs.size() - st.rec_first_run;
  auto* run = nruns ? &s.runs.back() : nullptr;
  if (run && st.run_open && nb <= run->line_bases) {
    ++st.run_lines;
    if (nb < run->line_bases || bytes != run->line_bytes) {
      st.run_open = false;
      if (bytes > run->line_bytes) st.rec_fai_ok = false;  // samtools: "different line length"
    }
  } else {
    if (run) st.rec_fai_ok = false;  // a second geometry: samtools cannot describe it
    if (nb > UINT32_MAX || bytes > UINT32_MAX) {
      // A single line over 4 GiB: keep it as its own run of one line.
      s.runs.push_back({rec.length, st.line_offset, UINT32_MAX, UINT32_MAX});
      st.rec_fai_ok = false;
      st.run_open = false;
    } else {
      s.runs.push_back({rec.length, st.line_offset, uint32_t(nb), uint32_t(bytes)});
      st.run_open = true;
    }
    st.run_lines = 1;
  }
  rec.length += nb;
}

static void finish_record(FastaScanner& s, FastaScanner::State& st) {
  if (!st.in_record) return;
  auto& rec = st.rec;
  const size_t nruns = s.runs.size() - st.rec_first_run;
  if (nruns == 0) {
    rec.sequence_offset = st.line_offset;
    rec.line_bases = rec.line_bytes = 0;
    rec.runs_begin = 0;
    rec.runs_count = 0;
  } else {
    const auto& first = s.runs[st.rec_first_run];
    rec.sequence_offset = first.offset;
    rec.line_bases = first.line_bases;
    rec.line_bytes = first.line_bytes;
    if (nruns == 1 && first.line_bases != UINT32_MAX) {
      s.runs.pop_back();  // regular record: the entry alone describes it
      rec.runs_begin = 0;
      rec.runs_count = 0;
    } else {
      rec.runs_begin = st.rec_first_run;
      rec.runs_count = uint32_t(nruns);
    }
  }
  uint8_t flags = 0;
  if (st.rec_fai_ok) flags |= format::fai_expressible;
  if (rec.flags & format::has_gap_symbols) flags |= format::has_gap_symbols;
  rec.flags = flags;
  rec.alphabet = st.rec_foreign ? uint8_t(Alphabet::protein)
                 : (st.rec_seen_u && !st.rec_seen_t) ? uint8_t(Alphabet::rna)
                                                      : uint8_t(Alphabet::dna);
  s.total_bases += rec.length;
  s.records.push_back(rec);
  s.header_lines.push_back(st.rec_header_line);
  st.in_record = false;
}

static void start_record(FastaScanner& s, FastaScanner::State& st, std::string_view header,
                         const std::string& file) {
  finish_record(s, st);
  // header excludes '>' and the line terminator; a trailing \r is removed here.
  if (!header.empty() && header.back() == '\r') header.remove_suffix(1);
  // One pass finds the end of the name and any control byte (tab is allowed).
  size_t name_end = std::string_view::npos;
  for (size_t i = 0; i < header.size(); ++i) {
    const unsigned char c = uint8_t(header[i]);
    if (c > 0x20 && c != 0x7f) continue;
    if ((c == ' ' || c == '\t')) {
      if (name_end == std::string_view::npos) name_end = i;
      continue;
    }
    {
      // Name the record by what its name would be, up to the bad byte.
      const size_t cut = std::min(header.find_first_of(" \t"), i);
      refuse(file, st.header_line, std::string(header.substr(0, cut)),
             "the header holds a control " + quote_byte(c) + " at column " + std::to_string(i + 2) +
                 "; only tab is allowed");
    }
  }
  std::string_view name = header.substr(0, name_end);
  if (name.empty())
    refuse(file, st.header_line, "",
           "a header with no name ('>' must be followed by the record's name)");
  std::string_view desc;
  if (name_end != std::string_view::npos) {
    desc = header.substr(name_end);
    while (!desc.empty() && (desc.front() == ' ' || desc.front() == '\t')) desc.remove_prefix(1);
  }
  auto& rec = st.rec;
  rec = {};
  rec.name_offset = s.strings.size();
  rec.name_length = uint32_t(name.size());
  rec.description_length = uint32_t(desc.size());
  s.strings.append(name);
  s.strings.append(desc);
  st.in_record = true;
  st.rec_header_line = st.header_line;
  st.rec_fai_ok = true;
  st.rec_seen_t = st.rec_seen_u = st.rec_foreign = false;
  st.rec_first_run = s.runs.size();
  st.run_open = false;
  st.line_offset = st.offset;  // sequence_offset of an empty record: just after its header
}

void FastaScanner::feed(const char* data, size_t n) {
  auto& st = *st_;
  const char* p = data;
  const char* const end = data + n;
  const uint8_t* cls = k_classes.c;
  while (p < end) {
    switch (st.where) {
      case State::Where::line_start: {
        if (*p == '>') {
          st.where = State::Where::header;
          st.header.clear();
          st.header_line = st.line;
          ++p;
          ++st.offset;
          break;
        }
        if (*p == '\n') {  // an empty line
          if (st.in_record) {
            st.line_offset = st.offset;
            st.line_bases = 0;
            end_sequence_line(*this, st, 1, true);
          }
          ++p;
          ++st.offset;
          ++st.line;
          break;
        }
        st.where = State::Where::sequence;
        st.line_offset = st.offset;
        st.line_bases = 0;
        st.line_spaces = 0;
        st.line_mask = 0;
        [[fallthrough]];
      }
      case State::Where::sequence: {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        const char* stop = nl ? nl : end;
        if (st.in_record && st.line_spaces == 0 &&
            plain_nucleotides(p, size_t(stop - p), &st.rec_seen_t, &st.rec_seen_u)) {
          st.line_bases += uint64_t(stop - p);
          st.offset += uint64_t(stop - p);
          p = stop;
          if (nl) {
            ++p;
            ++st.offset;
            end_sequence_line(*this, st, st.offset - st.line_offset, true);
            ++st.line;
            st.where = State::Where::line_start;
          }
          break;
        }
        uint8_t mask = 0;
        for (const char* q = p; q < stop; ++q) mask |= cls[uint8_t(*q)];
        if ((mask & (k_space | k_gt | k_bad)) || ((mask & k_foreign) && !st.rec_foreign) ||
            st.line_spaces) {
          // The slow path: find trailing whitespace, bad bytes, the first foreign letter.
          for (const char* q = p; q < stop; ++q) {
            uint8_t c = cls[uint8_t(*q)];
            if (c & k_space) {
              ++st.line_spaces;
              continue;
            }
            if (!st.in_record)
              refuse(file_name_, st.line, "", "sequence before the first '>' header");
            if (st.line_spaces || (c & (k_gt | k_bad))) {
              const uint64_t col = st.line_bases + st.line_spaces + 1;
              const std::string rname(strings.data() + st.rec.name_offset, st.rec.name_length);
              if (st.line_spaces)
                refuse(file_name_, st.line, rname,
                       "whitespace inside a sequence line (column " +
                           std::to_string(st.line_bases + 1) +
                           "); only trailing whitespace is allowed");
              if (c & k_gt)
                refuse(file_name_, st.line, rname,
                       "'>' inside a sequence line (column " + std::to_string(col) +
                           "); a header must start its own line");
              refuse(file_name_, st.line, rname,
                     quote_byte(uint8_t(*q)) + " in a sequence line (column " +
                         std::to_string(col) + "); expected a letter, '-', '.' or '*'");
            }
            if ((c & k_foreign) && !st.rec_foreign) {
              st.rec_foreign = true;
              st.rec.foreign_letter = uint8_t(*q);
              st.rec.foreign_position = st.rec.length + st.line_bases;
            }
            ++st.line_bases;
          }
        } else {
          if (!st.in_record && stop > p)
            refuse(file_name_, st.line, "", "sequence before the first '>' header");
          st.line_bases += uint64_t(stop - p);
        }
        st.line_mask |= mask;
        if (mask & k_t) st.rec_seen_t = true;
        if (mask & k_u) st.rec_seen_u = true;
        if (mask & k_gap) st.rec.flags |= format::has_gap_symbols;
        st.offset += uint64_t(stop - p);
        p = stop;
        if (nl) {
          ++p;
          ++st.offset;
          if (st.in_record) end_sequence_line(*this, st, st.offset - st.line_offset, true);
          ++st.line;
          st.where = State::Where::line_start;
        }
        break;
      }
      case State::Where::header: {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        const char* stop = nl ? nl : end;
        st.header.append(p, size_t(stop - p));
        st.offset += uint64_t(stop - p);
        p = stop;
        if (nl) {
          ++p;
          ++st.offset;
          ++st.line;
          start_record(*this, st, st.header, file_name_);
          st.where = State::Where::line_start;
        }
        break;
      }
    }
  }
}

void FastaScanner::reserve_for(double fraction) {
  if (fraction <= 0 || fraction >= 1 || records.size() < 1000) return;
  // 15% over the rate seen: a file whose record sizes drift only costs a last doubling.
  const double scale = 1.15 / fraction;
  const auto want = [&](size_t now) { return size_t(std::min(double(now) * scale, double(1u << 28))); };
  try {
    records.reserve(want(records.size()));
    header_lines.reserve(want(header_lines.size()));
    strings.reserve(want(strings.size()));
  } catch (const std::bad_alloc&) {
    // Only a hint: the tables still grow as needed.
  }
}

void FastaScanner::finish() {
  auto& st = *st_;
  if (st.where == State::Where::header) {  // a header line with no newline at the end
    start_record(*this, st, st.header, file_name_);
  } else if (st.where == State::Where::sequence && st.in_record) {
    end_sequence_line(*this, st, st.offset - st.line_offset, false);
  }
  st.where = State::Where::line_start;
  finish_record(*this, st);
  uncompressed_size = st.offset;
}

}  // namespace ofq::detail
