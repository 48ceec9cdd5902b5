// The original oceania service's routes (API.md, "The original routes"): same paths, same
// bodies, same answers, including its gap rule, so that code written for the 0.1.x client
// runs unchanged. Paths are relative to API_URL; the client adds the trailing '/'.
// POST query/fasta-sequences/ and GET query/result/{R} are jobs: handlers/jobs.cpp.
#include <nlohmann/json.hpp>

#include "handlers/common.hpp"
#include "ofq/server/annotation.hpp"
#include "ofq/server/positions_json.hpp"

namespace ofq::server {

namespace {

using detail::append_csv_field;
using detail::append_tsv_field;

Response list_samples(Service& svc) {
  std::string out = "sample_id,sample_key\n";
  for (const auto& e : svc.catalog.samples()) {
    append_csv_field(out, e->sample_id);
    out.push_back(',');
    append_csv_field(out, e->storage_key);
    out.push_back('\n');
  }
  return text_response(std::move(out), "text/csv; charset=utf-8");
}

std::shared_ptr<const Annotation> annotation_of(const SampleEntry& e) {
  auto a = e.annotation();
  if (!a)
    throw ApiError(404, "no_annotation",
                   "sample '" + e.sample_id + "' has no gene annotation in this catalog");
  return a;
}

Response intergenic(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  auto a = annotation_of(e);
  uint64_t min_length = query_uint(req, "min_length", 0);
  std::vector<OriginalGap> gaps = original_gaps(*a);
  std::erase_if(gaps, [&](const OriginalGap& g) { return g.length() < min_length; });
  auto page = detail::page_of(req, gaps.size(), 0, UINT64_MAX);
  std::string out = "sequence\tstart\tstop\tlength\tgen_before\tgen_after\n";
  for (uint64_t i = page.first; i < page.last; ++i) {
    const auto& g = gaps[i];
    append_tsv_field(out, g.sequence);
    out += '\t' + std::to_string(g.start) + '\t' + std::to_string(g.stop) + '\t' +
           std::to_string(g.length()) + '\t';
    append_tsv_field(out, g.gen_before);
    out.push_back('\t');
    append_tsv_field(out, g.gen_after);
    out.push_back('\n');
  }
  return text_response(std::move(out), "text/tab-separated-values; charset=utf-8");
}

Response genes_ids(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  auto a = annotation_of(e);
  auto rows = original_genes_and_gaps(*a);
  auto page = detail::page_of(req, rows.size(), 0, UINT64_MAX);
  std::string out =
      "original_sequence_id\tid\tstrand\tstart\tstop\tlength\tstart_codon\tstop_codon\tgene_type\n";
  for (uint64_t i = page.first; i < page.last; ++i) {
    const auto& r = rows[i];
    if (r.gene) {
      const Gene& g = *r.gene;
      append_tsv_field(out, g.sequence);
      out.push_back('\t');
      append_tsv_field(out, g.id);
      out += '\t';
      out += g.strand;
      out += '\t' + std::to_string(g.start) + '\t' + std::to_string(g.end) + '\t' +
             std::to_string(g.end - g.start + 1) + '\t';
      append_tsv_field(out, g.start_codon);
      out.push_back('\t');
      append_tsv_field(out, g.stop_codon);
      out.push_back('\t');
      append_tsv_field(out, g.gene_type);
    } else {
      const OriginalGap& g = r.gap;
      append_tsv_field(out, g.sequence);
      out += "\tgap__";
      append_tsv_field(out, g.gen_before);
      out += "__";
      append_tsv_field(out, g.gen_after);
      out += "\t\t" + std::to_string(g.start) + '\t' + std::to_string(g.stop) + '\t' +
             std::to_string(g.length()) + "\t\t\t";
    }
    out.push_back('\n');
  }
  return text_response(std::move(out), "text/tab-separated-values; charset=utf-8");
}

}  // namespace

void add_original_routes(Router& r, Service& s) {
  r.add("GET", "/query/list-fasta-files/", [&s](Request&) { return list_samples(s); });
  r.add("GET", "/query/list-queryable-samples/", [&s](Request&) { return list_samples(s); });
  r.add("GET", "/query/list-intergenic_regions/{sample_id}",
        [&s](Request& q) { return intergenic(s, q); });
  r.add("GET", "/query/get-sample-genes-ids/{sample_id}",
        [&s](Request& q) { return genes_ids(s, q); });
}

}  // namespace ofq::server
