// The /v1 routes (API.md, "The v1 routes"): samples, records, streamed batch extraction in
// every format, single-region GET, intergenic regions (SEMANTICS.md's rule) and genes.
// Jobs, metrics and OpenAPI are issue 5's.
#include <nlohmann/json.hpp>

#include "handlers/common.hpp"
#include "ofq/digest.hpp"
#include "ofq/server/annotation.hpp"
#include "ofq/server/positions_json.hpp"

namespace ofq::server {

namespace {

using nlohmann::json;
using detail::append_csv_field;
using detail::append_tsv_field;

std::string dump(const json& j) {
  // Names and descriptions come from the files; a byte that is not UTF-8 is replaced
  // rather than failing the answer.
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

json sample_json(const SampleEntry& e, bool details) {
  json j;
  j["sample_id"] = e.sample_id;
  j["storage_key"] = e.storage_key;
  j["format"] = e.compression ? json(to_string(*e.compression)) : json(nullptr);
  auto s = e.sample();
  j["sequences"] = s ? json(s->index().record_count()) : json(nullptr);
  j["bases"] = s ? json(s->index().total_bases()) : json(nullptr);
  j["annotated"] = !e.annotation_key.empty();
  j["index"] = to_string(e.status());
  if (details) {
    json d;
    if (s) {
      d["records"] = s->index().record_count();
      d["total_bases"] = s->index().total_bases();
      d["uncompressed_bytes"] = s->index().uncompressed_size();
      d["file_bytes"] = s->index().fingerprint().size_bytes;
    }
    if (e.status() == IndexStatus::failed) d["error"] = e.error();
    d["digests"] = e.digests() ? "ready" : (s ? "building" : "pending");
    j["index_details"] = d;
    j["annotation_key"] = e.annotation_key.empty() ? json(nullptr) : json(e.annotation_key);
    json topo = json::object();
    for (const auto& [k, v] : e.topology) topo[k] = v;
    j["topology"] = topo;
  }
  return j;
}

Response healthz(Service& svc) {
  size_t ready = 0, building = 0, failed = 0;
  for (const auto& e : svc.catalog.samples()) {
    switch (e->status()) {
      case IndexStatus::ready: ++ready; break;
      case IndexStatus::building: ++building; break;
      case IndexStatus::failed: ++failed; break;
    }
  }
  json j = {{"status", "ok"}, {"samples", svc.catalog.samples().size()}, {"ready", ready},
            {"building", building}, {"failed", failed}};
  return json_response(dump(j));
}

Response samples(Service& svc) {
  json arr = json::array();
  for (const auto& e : svc.catalog.samples()) arr.push_back(sample_json(*e, false));
  return json_response(dump(json{{"samples", std::move(arr)}}));
}

Response one_sample(Service& svc, const Request& req) {
  return json_response(dump(sample_json(svc.entry(req.param("sample_id")), true)));
}

Response records(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  auto s = svc.ready(e);
  const FastaIndex& idx = s->index();
  auto page = detail::page_of(req, idx.record_count(), svc.limits.default_page_size,
                              svc.limits.max_page_size);
  auto digests = e.digests();
  json arr = json::array();
  for (uint64_t i = page.first; i < page.last; ++i) {
    RecordInfo r = idx.record(static_cast<RecordId>(i));
    json j;
    j["id"] = r.name;
    j["length"] = r.length;
    j["alphabet"] = to_string(r.alphabet);
    j["md5"] = nullptr;
    j["ga4gh"] = nullptr;
    if (digests && i < digests->records.size() && digests->records[i].state == DigestState::done) {
      j["md5"] = md5_hex(digests->records[i].digest.md5);
      j["ga4gh"] = ga4gh_id(digests->records[i].digest.sha512t24);
    }
    j["description"] = r.description;
    if (auto t = e.topology.find(std::string(r.name)); t != e.topology.end()) j["topology"] = t->second;
    else j["topology"] = "linear";
    arr.push_back(std::move(j));
  }
  json out = {{"sample_id", e.sample_id}, {"total", idx.record_count()}, {"page", page.page},
              {"page_size", page.page_size}, {"records", std::move(arr)}};
  return json_response(dump(out));
}

OutputFormat format_param(std::string_view word) {
  auto f = parse_output_format(word);
  if (!f)
    throw ApiError(400, "bad_request",
                   "format '" + std::string(word.substr(0, 40)) +
                       "' is not one of csv, tsv, fasta, json, ndjson");
  return *f;
}

/// Runs `write` into `sink` through a writer of `fmt`; an engine error found while
/// streaming ends ndjson with its error line, sends a corrupt sample back to indexing, and
/// is rethrown so that the transport fails the transfer.
void stream_rows(Service& svc, SampleEntry& e, OutputSink& sink, OutputFormat fmt,
                 const WriterOptions& wo, const std::function<void(RowWriter&)>& write) {
  auto writer = make_writer(fmt, sink, wo);
  try {
    write(*writer);
  } catch (const Error& err) {
    if (err.code() == Errc::corrupt_input) svc.catalog.recheck(e);
    writer->fail(errc_name(err.code()), svc.catalog.scrub(err.what()));
    throw Error(err.code(), svc.catalog.scrub(err.what()));
  }
}

Response post_sequences(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  BodyFields f = read_body_fields(req.body, {"format", "bounds"});
  if (!f.has_positions)
    throw ApiError(400, "bad_request", "the body has no positions: {\"positions\": [[id, start, end(, type)], ...]}");
  OutputFormat fmt = OutputFormat::csv;
  if (auto it = f.strings.find("format"); it != f.strings.end()) fmt = format_param(it->second);
  bool strict = false;
  if (auto it = f.strings.find("bounds"); it != f.strings.end()) {
    if (it->second == "strict") strict = true;
    else if (it->second != "clamp")
      throw ApiError(400, "bad_request", "bounds '" + it->second.substr(0, 40) + "' is not one of clamp, strict");
  }
  auto sample = svc.ready(e);
  auto batch = detail::batch_from_body(svc, e, sample, req.body, strict);
  Response res;
  res.content_type = std::string(content_type(fmt));
  res.headers.emplace_back("X-Ofq-Rows", std::to_string(batch->size()));
  res.headers.emplace_back("X-Ofq-Clamped", std::to_string(batch->clamped()));
  res.stream = [&svc, &e, batch, fmt](OutputSink& sink) {
    WriterOptions wo;
    wo.with_names = batch->with_names();
    stream_rows(svc, e, sink, fmt, wo, [&](RowWriter& w) { batch->write(w); });
  };
  return res;
}

Response get_region(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  auto sample = svc.ready(e);
  const std::string& name = req.param("sequence_id");
  auto id = sample->index().find(name);
  if (!id)
    throw ApiError(404, "unknown_sequence",
                   "sample '" + e.sample_id + "' has no sequence '" + name.substr(0, 200) +
                       "'; GET /v1/samples/" + e.sample_id + "/records lists them");
  const uint64_t length = sample->index().record(*id).length;
  uint64_t start = query_uint(req, "start", 0);
  uint64_t end = query_uint(req, "end", length);
  if (start > end)
    throw ApiError(400, "bad_request",
                   "start " + std::to_string(start) + " is greater than end " + std::to_string(end));
  SeqType type = SeqType::raw;
  if (auto t = req.query_value("type")) {
    auto parsed = parse_seq_type(*t);
    if (!parsed)
      throw ApiError(400, "bad_request",
                     "type '" + std::string(t->substr(0, 40)) +
                         "' is not one of raw, complement, reverse_complement");
    type = *parsed;
  }
  bool strict = false;
  if (auto b = req.query_value("bounds")) {
    if (*b == "strict") strict = true;
    else if (*b != "clamp")
      throw ApiError(400, "bad_request", "bounds '" + std::string(b->substr(0, 40)) + "' is not one of clamp, strict");
  }
  if (strict && end > length)
    throw ApiError(400, "bad_request",
                   "end " + std::to_string(end) + " is past the end of '" + name.substr(0, 200) +
                       "' (" + std::to_string(length) + " bases) and bounds is strict");
  std::optional<OutputFormat> fmt;
  if (auto f = req.query_value("format"); f && *f != "text") fmt = format_param(*f);

  const uint64_t bases = std::min(end, length) > start ? std::min(end, length) - start : 0;
  const RecordId rid = *id;
  Response res;
  if (end > length) res.headers.emplace_back("X-Ofq-Clamped", "1");
  if (!fmt) {
    res.content_type = "text/plain; charset=utf-8";
    if (bases <= svc.limits.max_region_inline) {
      try {
        sample->fetch(rid, start, end, type, res.body);
      } catch (const Error& err) {
        return svc.engine_error(err, &e);  // a corrupt file goes back to indexing
      }
      return res;
    }
    res.stream = [sample, rid, start, end, type](OutputSink& sink) {
      sample->fetch_pieces(rid, start, end, type, [&](std::string_view p) { sink.write(p); });
    };
    return res;
  }
  res.content_type = std::string(content_type(*fmt));
  std::string id_text = name;
  auto write = [sample, rid, start, end, type, id_text](RowWriter& w) {
    w.begin();
    RowMeta meta;
    meta.id = id_text;
    meta.start = start;
    meta.end = end;
    meta.type = type;
    w.begin_row(meta);
    sample->fetch_pieces(rid, start, end, type, [&](std::string_view p) { w.piece(p); });
    w.end_row();
    w.finish(Summary{1, end > sample->index().record(rid).length ? 1u : 0u});
  };
  if (bases <= svc.limits.max_region_inline) {
    StringSink sink;
    auto w = make_writer(*fmt, sink, WriterOptions{});
    try {
      write(*w);
    } catch (const Error& err) {
      return svc.engine_error(err, &e);
    }
    res.body = std::move(sink.data);
    return res;
  }
  res.stream = [&svc, &e, fmt, write](OutputSink& sink) {
    stream_rows(svc, e, sink, *fmt, WriterOptions{}, write);
  };
  return res;
}

std::shared_ptr<const Annotation> annotation_of(const SampleEntry& e) {
  auto a = e.annotation();
  if (!a)
    throw ApiError(404, "no_annotation",
                   "sample '" + e.sample_id + "' has no gene annotation in this catalog");
  return a;
}

enum class ListFormat { as_json, tsv, csv };
ListFormat list_format(const Request& req) {
  auto f = req.query_value("format");
  if (!f || *f == "json") return ListFormat::as_json;
  if (*f == "tsv") return ListFormat::tsv;
  if (*f == "csv") return ListFormat::csv;
  throw ApiError(400, "bad_request", "format '" + std::string(f->substr(0, 40)) + "' is not one of json, tsv, csv");
}

/// A table as TSV or CSV: header then rows of fields.
Response table(ListFormat f, const std::vector<std::string_view>& header,
               const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  char sep = f == ListFormat::tsv ? '\t' : ',';
  auto line = [&](const auto& fields) {
    bool first = true;
    for (const auto& x : fields) {
      if (!first) out.push_back(sep);
      first = false;
      if (f == ListFormat::tsv) append_tsv_field(out, x);
      else append_csv_field(out, x);
    }
    out.push_back('\n');
  };
  line(header);
  for (const auto& r : rows) line(r);
  return text_response(std::move(out), f == ListFormat::tsv ? "text/tab-separated-values; charset=utf-8"
                                                            : "text/csv; charset=utf-8");
}

Response intergenic(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  ListFormat lf = list_format(req);
  uint64_t min_length = query_uint(req, "min_length", 1);
  auto a = annotation_of(e);
  auto sample = svc.ready(e);  // lengths and order come from the index
  const FastaIndex& idx = sample->index();
  auto regions = intergenic_regions(
      *a,
      [&idx](std::string_view n) -> std::optional<SequenceInfo> {
        auto id = idx.find(n);
        if (!id) return std::nullopt;
        return SequenceInfo{*id, idx.record(*id).length};
      },
      min_length);
  auto page = detail::page_of(req, regions.size(), svc.limits.default_page_size, svc.limits.max_page_size);
  auto strand = [](const Gene* g) { return g ? std::string(1, g->strand) : std::string(); };
  if (lf == ListFormat::as_json) {
    json arr = json::array();
    for (uint64_t i = page.first; i < page.last; ++i) {
      const auto& r = regions[i];
      arr.push_back({{"sequence", r.sequence}, {"start", r.start}, {"stop", r.stop},
                     {"length", r.length()},
                     {"gen_before", r.before ? json(r.before->id) : json(nullptr)},
                     {"gen_after", r.after ? json(r.after->id) : json(nullptr)},
                     {"strand_before", r.before ? json(strand(r.before)) : json(nullptr)},
                     {"strand_after", r.after ? json(strand(r.after)) : json(nullptr)},
                     {"orientation", r.orientation()}});
    }
    json out = {{"sample_id", e.sample_id}, {"min_length", std::max<uint64_t>(min_length, 1)},
                {"total", regions.size()}, {"page", page.page}, {"page_size", page.page_size},
                {"regions", std::move(arr)}};
    return json_response(dump(out));
  }
  std::vector<std::vector<std::string>> rows;
  for (uint64_t i = page.first; i < page.last; ++i) {
    const auto& r = regions[i];
    rows.push_back({std::string(r.sequence), std::to_string(r.start), std::to_string(r.stop),
                    std::to_string(r.length()), r.before ? r.before->id : "",
                    r.after ? r.after->id : "", strand(r.before), strand(r.after),
                    std::string(r.orientation())});
  }
  return table(lf, {"sequence", "start", "stop", "length", "gen_before", "gen_after",
                    "strand_before", "strand_after", "orientation"}, rows);
}

Response genes(Service& svc, const Request& req) {
  SampleEntry& e = svc.entry(req.param("sample_id"));
  ListFormat lf = list_format(req);
  auto a = annotation_of(e);
  auto seq = req.query_value("sequence");
  std::vector<const Gene*> list;
  for (const Gene& g : a->genes)
    if (!seq || g.sequence == *seq) list.push_back(&g);
  auto page = detail::page_of(req, list.size(), svc.limits.default_page_size, svc.limits.max_page_size);
  // /v1 numbers are 0-based half-open like every other /v1 coordinate.
  if (lf == ListFormat::as_json) {
    json arr = json::array();
    for (uint64_t i = page.first; i < page.last; ++i) {
      const Gene& g = *list[i];
      arr.push_back({{"sequence", g.sequence}, {"id", g.id}, {"type", g.type},
                     {"start", g.start - 1}, {"end", g.end}, {"length", g.end - g.start + 1},
                     {"strand", std::string(1, g.strand)}, {"start_codon", g.start_codon},
                     {"stop_codon", g.stop_codon}, {"gene_type", g.gene_type}});
    }
    json out = {{"sample_id", e.sample_id}, {"feature_type", a->feature_type},
                {"total", list.size()}, {"page", page.page}, {"page_size", page.page_size},
                {"genes", std::move(arr)}};
    return json_response(dump(out));
  }
  std::vector<std::vector<std::string>> rows;
  for (uint64_t i = page.first; i < page.last; ++i) {
    const Gene& g = *list[i];
    rows.push_back({g.sequence, g.id, g.type, std::to_string(g.start - 1), std::to_string(g.end),
                    std::to_string(g.end - g.start + 1), std::string(1, g.strand), g.start_codon,
                    g.stop_codon, g.gene_type});
  }
  return table(lf, {"sequence", "id", "type", "start", "end", "length", "strand", "start_codon",
                    "stop_codon", "gene_type"}, rows);
}

}  // namespace

void add_v1_routes(Router& r, Service& s) {
  r.add("GET", "/healthz", [&s](Request&) { return healthz(s); });
  r.add("GET", "/v1/samples", [&s](Request&) { return samples(s); });
  r.add("GET", "/v1/samples/{sample_id}", [&s](Request& q) { return one_sample(s, q); });
  r.add("GET", "/v1/samples/{sample_id}/records", [&s](Request& q) { return records(s, q); });
  r.add("POST", "/v1/samples/{sample_id}/sequences", [&s](Request& q) { return post_sequences(s, q); });
  r.add("GET", "/v1/samples/{sample_id}/sequences/{sequence_id}",
        [&s](Request& q) { return get_region(s, q); });
  r.add("GET", "/v1/samples/{sample_id}/intergenic", [&s](Request& q) { return intergenic(s, q); });
  r.add("GET", "/v1/samples/{sample_id}/genes", [&s](Request& q) { return genes(s, q); });
}

}  // namespace ofq::server
