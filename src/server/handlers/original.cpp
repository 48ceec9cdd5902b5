// The original oceania service's routes (API.md, "The original routes"): same paths, same
// bodies, same answers, including its gap rule, so that code written for the 0.1.x client
// runs unchanged. Paths are relative to API_URL; the client adds the trailing '/'.
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

SampleEntry& entry_by_key(Service& svc, const std::string& key) {
  if (std::string p = svc.catalog.key_problem(key); !p.empty())
    throw ApiError(400, "bad_request", p);
  if (SampleEntry* e = svc.catalog.find_by_key(key)) return *e;
  // The 0.1.x client sends the sample_key; a sample_id is accepted too.
  if (SampleEntry* e = svc.catalog.find(key)) return *e;
  throw ApiError(404, "unknown_sample",
                 "no sample with storage_key '" + key.substr(0, 200) +
                     "' in this catalog; GET query/list-fasta-files/ lists them");
}

Response fasta_sequences(Service& svc, const Request& req) {
  BodyFields f = read_body_fields(req.body, {"storage_key", "output_format"});
  auto key = f.strings.find("storage_key");
  if (key == f.strings.end())
    throw ApiError(400, "bad_request", "the body has no storage_key; GET query/list-fasta-files/ lists the keys");
  if (!f.has_positions)
    throw ApiError(400, "bad_request", "the body has no positions: [[id, start, end(, type)], ...]");
  std::string fmt_word = "csv";
  if (auto o = f.strings.find("output_format"); o != f.strings.end()) fmt_word = o->second;
  OutputFormat fmt;
  if (fmt_word == "csv") fmt = OutputFormat::csv;
  else if (fmt_word == "fasta") fmt = OutputFormat::fasta;
  else
    throw ApiError(400, "bad_request",
                   "output_format '" + fmt_word.substr(0, 40) + "' is not one of csv, fasta");

  SampleEntry& e = entry_by_key(svc, key->second);
  auto sample = svc.ready(e);
  auto batch = detail::batch_from_body(svc, e, sample, req.body, false);
  std::string rkey = svc.results.create();

  // The job: the original's answer, byte for byte (its CSV, or FASTA at 60 columns).
  auto job = [&svc, &e, batch, fmt, rkey]() -> std::optional<Response> {
    try {
      StringSink sink;
      auto writer = make_writer(fmt, sink, WriterOptions{});
      batch->write(*writer);
      svc.results.complete(rkey, std::string(content_type(fmt)), std::move(sink.data));
      return std::nullopt;
    } catch (const Error& err) {
      Response r = svc.engine_error(err, &e);
      svc.results.fail(rkey, r);
      return r;
    } catch (const std::exception&) {
      Response r = error_response(500, "internal", "internal error while extracting");
      svc.results.fail(rkey, r);
      return r;
    }
  };
  // The original client polls every 10 s: anything small is answered before the POST
  // returns, so its first poll finds it; a failure of such a job is reported at once.
  if (batch->size() <= svc.limits.inline_positions || !svc.run_background) {
    if (auto failed = job()) return *failed;
  } else {
    svc.run_background([job] { (void)job(); });
  }
  nlohmann::json j = {{"results_key", rkey}};
  return json_response(j.dump() + "\n");
}

Response result(Service& svc, const Request& req) {
  const std::string& key = req.param("results_key");
  auto r = svc.results.get(key);
  switch (r.state) {
    case ResultStore::State::done: {
      Response res = text_response(*r.body, r.content_type);
      return res;
    }
    case ResultStore::State::running:
      // The original answers 404 until the result object exists; its client retries.
      return error_response(404, "not_done", "result " + key + " is not ready yet; poll again");
    case ResultStore::State::failed: return r.error;
    case ResultStore::State::expired:
      return error_response(410, "expired", "result " + key + " has expired; send the query again");
    case ResultStore::State::unknown: break;
  }
  return error_response(404, "not_found", "no result '" + key.substr(0, 100) + "'");
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
  r.add("POST", "/query/fasta-sequences/", [&s](Request& q) { return fasta_sequences(s, q); });
  r.add("GET", "/query/result/{results_key}", [&s](Request& q) { return result(s, q); });
  r.add("GET", "/query/list-intergenic_regions/{sample_id}",
        [&s](Request& q) { return intergenic(s, q); });
  r.add("GET", "/query/get-sample-genes-ids/{sample_id}",
        [&s](Request& q) { return genes_ids(s, q); });
}

}  // namespace ofq::server
