#include "ofq/server/annotation.hpp"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>

#include "ofq/error.hpp"

namespace ofq::server {

namespace {

[[noreturn]] void refuse(std::string_view name, uint64_t line, const std::string& what) {
  throw Error(Errc::file_refused,
              "annotation " + std::string(name) + " line " + std::to_string(line) + ": " + what);
}

std::string decode_gff_value(std::string_view v) {
  // GFF3 escapes ; = & , and control bytes as %XX; a stray '%' is kept as written.
  std::string out;
  out.reserve(v.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size() && hex(v[i + 1]) >= 0 && hex(v[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(v[i + 1]) * 16 + hex(v[i + 2])));
      i += 2;
    } else {
      out.push_back(v[i]);
    }
  }
  return out;
}

/// Finds `key` in a GFF3 ("k=v;k=v") or GTF ('k "v"; k "v";') attribute column.
std::optional<std::string> attribute(std::string_view attrs, std::string_view key) {
  size_t i = 0;
  while (i < attrs.size()) {
    size_t j = attrs.find(';', i);
    if (j == std::string_view::npos) j = attrs.size();
    std::string_view part = attrs.substr(i, j - i);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    size_t eq = part.find('=');
    if (eq != std::string_view::npos) {
      if (part.substr(0, eq) == key) return decode_gff_value(part.substr(eq + 1));
    } else {
      size_t sp = part.find(' ');
      if (sp != std::string_view::npos && part.substr(0, sp) == key) {
        std::string_view v = part.substr(sp + 1);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        return std::string(v);
      }
    }
    i = j + 1;
  }
  return std::nullopt;
}

bool parse_u64(std::string_view s, uint64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Annotation parse_gff(std::string_view text, std::string_view name) {
  std::vector<Gene> genes, cds;
  uint64_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (line.starts_with("##FASTA")) break;  // prokka: the sequences follow, not features
      continue;
    }
    std::string_view col[9];
    size_t n = 0, i = 0;
    while (n < 9) {
      size_t t = n == 8 ? std::string_view::npos : line.find('\t', i);
      if (t == std::string_view::npos) {
        col[n++] = line.substr(i);
        break;
      }
      col[n++] = line.substr(i, t - i);
      i = t + 1;
    }
    if (n < 9)
      refuse(name, line_no,
             "expected 9 tab-separated columns, found " + std::to_string(n) +
                 " (is this a GFF file?)");
    bool is_gene = col[2] == "gene";
    bool is_cds = col[2] == "CDS";
    if (!is_gene && !is_cds) continue;
    Gene g;
    g.line = line_no;
    g.sequence = decode_gff_value(col[0]);
    g.type = std::string(col[2]);
    if (!parse_u64(col[3], g.start) || !parse_u64(col[4], g.end) || g.start < 1 ||
        g.start > g.end)
      refuse(name, line_no,
             "start and end must be whole numbers with 1 <= start <= end, found '" +
                 std::string(col[3].substr(0, 30)) + "' and '" + std::string(col[4].substr(0, 30)) + "'");
    g.strand = col[6].size() == 1 ? col[6][0] : '.';
    std::string_view attrs = col[8];
    if (auto v = attribute(attrs, "ID")) g.id = *v;
    else if (auto v2 = attribute(attrs, "Name")) g.id = *v2;
    else if (auto v3 = attribute(attrs, "locus_tag")) g.id = *v3;
    else if (auto v4 = attribute(attrs, "gene_id")) g.id = *v4;  // GTF
    else g.id = g.sequence + ":" + std::to_string(g.start) + "-" + std::to_string(g.end);
    auto sc = attribute(attrs, "start_codon");
    auto ec = attribute(attrs, "stop_codon");
    auto gt = attribute(attrs, "gene_type");
    if (auto partial = attribute(attrs, "partial"); partial && partial->size() == 2 && !sc && !ec) {
      // prodigal: partial=LR, '1' when the gene runs off the Left / Right end. The start
      // codon sits on the left for '+' genes and on the right for '-' genes.
      bool left_open = (*partial)[0] == '1', right_open = (*partial)[1] == '1';
      bool start_open = g.strand == '-' ? right_open : left_open;
      bool stop_open = g.strand == '-' ? left_open : right_open;
      sc = start_open ? "no" : "yes";
      ec = stop_open ? "no" : "yes";
      if (!gt) gt = (start_open || stop_open) ? "partial" : "complete";
    }
    g.start_codon = sc.value_or("");
    g.stop_codon = ec.value_or("");
    g.gene_type = gt.value_or("");
    (is_gene ? genes : cds).push_back(std::move(g));
  }
  Annotation a;
  if (!genes.empty()) {
    a.genes = std::move(genes);
    a.feature_type = "gene";
  } else if (!cds.empty()) {
    a.genes = std::move(cds);
    a.feature_type = "CDS";
  }
  return a;
}

Annotation load_gff(const std::string& path, std::string_view shown_name) {
  // gzopen reads plain files through unchanged, so one reader serves both.
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw Error(Errc::io_error, "cannot open annotation " + std::string(shown_name));
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(f, gzclose);
  gzbuffer(f, 1 << 18);
  std::string text;
  std::vector<char> buf(1 << 18);
  for (;;) {
    int got = gzread(f, buf.data(), static_cast<unsigned>(buf.size()));
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(f, &err);
      throw Error(Errc::corrupt_input, "annotation " + std::string(shown_name) +
                                           " cannot be read: " + (msg ? msg : "gzip error"));
    }
    if (got == 0) break;
    text.append(buf.data(), static_cast<size_t>(got));
  }
  return parse_gff(text, shown_name);
}

std::vector<OriginalRow> original_genes_and_gaps(const Annotation& a) {
  std::vector<OriginalRow> rows;
  rows.reserve(a.genes.size() * 2);
  const Gene* prev = nullptr;
  for (const Gene& g : a.genes) {
    if (prev) {
      OriginalGap gap;
      gap.sequence = g.sequence;
      gap.start = prev->sequence == g.sequence ? prev->end : 0;
      gap.stop = g.start;
      gap.gen_before = prev->id;
      gap.gen_after = g.id;
      if (gap.stop > gap.start) rows.push_back(OriginalRow{nullptr, std::move(gap)});
    }
    rows.push_back(OriginalRow{&g, {}});
    prev = &g;
  }
  return rows;
}

std::vector<OriginalGap> original_gaps(const Annotation& a) {
  std::vector<OriginalGap> out;
  for (auto& r : original_genes_and_gaps(a))
    if (!r.gene) out.push_back(std::move(r.gap));
  return out;
}

std::string_view IntergenicRegion::orientation() const noexcept {
  if (!before || !after) return "edge";
  char b = before->strand, f = after->strand;
  if ((b != '+' && b != '-') || (f != '+' && f != '-')) return "unknown";
  if (b == f) return "tandem";
  return b == '-' ? "divergent" : "convergent";
}

std::vector<IntergenicRegion> intergenic_regions(const Annotation& a, const SequenceLookup& lookup,
                                                 uint64_t min_length,
                                                 std::vector<std::string>* skipped) {
  struct Seq {
    SequenceInfo info;
    std::vector<const Gene*> genes;
  };
  std::unordered_map<std::string_view, size_t> slot;
  std::vector<Seq> seqs;
  std::unordered_map<std::string_view, bool> unknown;
  for (const Gene& g : a.genes) {
    auto it = slot.find(g.sequence);
    if (it == slot.end()) {
      if (unknown.count(g.sequence)) continue;
      auto info = lookup(g.sequence);
      if (!info) {
        unknown[g.sequence] = true;
        if (skipped) skipped->push_back(g.sequence);
        continue;
      }
      it = slot.emplace(g.sequence, seqs.size()).first;
      seqs.push_back(Seq{*info, {}});
    }
    seqs[it->second].genes.push_back(&g);
  }
  std::sort(seqs.begin(), seqs.end(),
            [](const Seq& x, const Seq& y) { return x.info.order < y.info.order; });

  if (min_length == 0) min_length = 1;  // SEMANTICS.md: regions of length >= 1 only
  std::vector<IntergenicRegion> out;
  for (Seq& s : seqs) {
    std::stable_sort(s.genes.begin(), s.genes.end(), [](const Gene* x, const Gene* y) {
      return x->start != y->start ? x->start < y->start : x->end < y->end;
    });
    const uint64_t length = s.info.length;
    auto emit = [&](uint64_t from, uint64_t to, const Gene* before, const Gene* after) {
      if (to > from && to - from >= min_length)
        out.push_back(IntergenicRegion{s.genes.front()->sequence, from, to, before, after});
    };
    uint64_t covered = 0;  // 0-based: bases [0, covered) are genes or already listed
    const Gene* before = nullptr;
    for (const Gene* g : s.genes) {
      uint64_t gs = std::min(g->start - 1, length);  // GFF start -> 0-based
      uint64_t ge = std::min(g->end, length);        // GFF end inclusive -> 0-based exclusive
      if (gs > covered) emit(covered, gs, before, g);
      if (ge > covered || !before) {
        covered = std::max(covered, ge);
        before = g;
      }
    }
    emit(covered, length, before, nullptr);
  }
  return out;
}

}  // namespace ofq::server
