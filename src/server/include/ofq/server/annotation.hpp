// Gene annotations (GFF3 / GFF as prodigal, prokka and NCBI write them, plain or .gz) and
// the two intergenic rules: the original service's (reproduced by its routes) and
// SEMANTICS.md's (served on /v1). Pure functions over parsed genes: no I/O but load_gff.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ofq::server {

/// One gene as the file gives it: GFF numbers, 1-based inclusive.
struct Gene {
  std::string sequence;  ///< column 1, the FASTA record's name
  std::string id;        ///< ID=, else Name=, else locus_tag=, else "seq:start-end"
  std::string type;      ///< column 3: "gene" or "CDS"
  uint64_t start = 0;    ///< GFF start (1-based, inclusive)
  uint64_t end = 0;      ///< GFF end (1-based, inclusive)
  char strand = '.';     ///< '+', '-', '.' or '?'
  /// The original's columns: from start_codon= / stop_codon= / gene_type= when present,
  /// else derived from prodigal's partial= flags, else empty.
  std::string start_codon, stop_codon, gene_type;
  uint64_t line = 0;  ///< 1-based line in the file
};

/// The genes of one annotation file, in file order: `gene` features when the file has
/// any, else `CDS` (SEMANTICS.md, decisions).
struct Annotation {
  std::vector<Gene> genes;
  std::string feature_type;  ///< "gene", "CDS" or "" when the file has neither
};

/// Parses GFF3 (or GTF-style attributes). Stops at "##FASTA" (prokka appends the
/// sequences). Throws ofq::Error(file_refused) naming `shown_name` and the line when a
/// feature line has fewer than 9 columns or start/end are not whole numbers 1 <= s <= e.
[[nodiscard]] Annotation parse_gff(std::string_view text, std::string_view shown_name);

/// Reads `path` (plain or gzip, detected from the bytes) and parses it; messages name
/// `shown_name`, never `path`.
[[nodiscard]] Annotation load_gff(const std::string& path, std::string_view shown_name);

/// A region of the original's rule, in its numbers: [start, stop), length = stop - start.
struct OriginalGap {
  std::string sequence;  ///< the sequence of the gene after
  uint64_t start = 0;
  uint64_t stop = 0;
  std::string gen_before, gen_after;
  [[nodiscard]] uint64_t length() const noexcept { return stop - start; }
};

/// One row of the original's genes-and-gaps table: a gene, or the gap before the next gene.
struct OriginalRow {
  const Gene* gene = nullptr;  ///< null for a gap
  OriginalGap gap;
};

/// The original service's rule (API.md): genes in file order; between two genes of one
/// sequence [prev.end, next.start) in GFF numbers; the first gene of a sequence after
/// another sequence's gene gets [0, next.start) with gen_before the previous sequence's
/// last gene; nothing before the very first gene nor after a sequence's last; gaps with
/// stop <= start dropped. Rows point into `a`.
[[nodiscard]] std::vector<OriginalRow> original_genes_and_gaps(const Annotation& a);
[[nodiscard]] std::vector<OriginalGap> original_gaps(const Annotation& a);

/// What the FASTA index says of a sequence named in the annotation.
struct SequenceInfo {
  uint64_t order = 0;   ///< record id: position in the FASTA file
  uint64_t length = 0;  ///< bases
};
using SequenceLookup = std::function<std::optional<SequenceInfo>(std::string_view name)>;

/// SEMANTICS.md's intergenic region: 0-based half-open [start, stop) that no gene covers.
struct IntergenicRegion {
  std::string_view sequence;
  uint64_t start = 0;
  uint64_t stop = 0;
  const Gene* before = nullptr;  ///< null at the sequence's start
  const Gene* after = nullptr;   ///< null at the sequence's end
  [[nodiscard]] uint64_t length() const noexcept { return stop - start; }
  /// "tandem", "divergent" (- then +), "convergent" (+ then -), "edge" (a side without a
  /// gene), or "unknown" when a strand is neither '+' nor '-'.
  [[nodiscard]] std::string_view orientation() const noexcept;
};

/// Every region of length >= min_length, ordered by the sequence's place in the FASTA file,
/// then start. Sequences without genes, or unknown to `lookup`, give none; genes reaching
/// past a sequence's end are cut at it. `skipped_sequences` (optional) receives the names
/// of annotated sequences that `lookup` did not know.
[[nodiscard]] std::vector<IntergenicRegion> intergenic_regions(
    const Annotation& a, const SequenceLookup& lookup, uint64_t min_length = 1,
    std::vector<std::string>* skipped_sequences = nullptr);

}  // namespace ofq::server
