#include "handlers/common.hpp"

#include "ofq/server/positions_json.hpp"

namespace ofq::server::detail {

std::shared_ptr<Batch> batch_from_body(const Service& svc, const SampleEntry& e,
                                       std::shared_ptr<const Sample> sample,
                                       const std::string& body, bool strict) {
  BatchOptions bo;
  bo.strict = strict;
  auto batch = std::make_shared<Batch>(std::move(sample), bo);
  bool names = false;
  read_positions(body, svc.limits.max_positions, [&](uint64_t, PositionItem& item) {
    names |= !item.pos.name.empty();
    if (!item.reason.empty())
      batch->add_error(0, std::move(item.pos.id), std::move(item.reason));
    else if (!item.digest.empty())
      batch->add_error(0, item.digest, "positions named by digest go to POST /v1/sequences");
    else
      batch->add(item.pos);
  });
  // Names given on any position add the BED name column (SEMANTICS.md, decisions).
  batch->set_with_names(names);
  if (batch->error_count() > 0) {
    std::vector<RowError> rows = batch->errors();
    for (auto& r : rows) r.reason = svc.catalog.scrub(r.reason);
    uint64_t n = batch->error_count();
    std::string msg =
                   std::to_string(n) + " of " + std::to_string(batch->size()) + " position" +
                       (batch->size() == 1 ? "" : "s") + " of sample '" + e.sample_id +
                       "' " + (n == 1 ? "is" : "are") + " invalid" +
                       (rows.size() < n ? " (the first " + std::to_string(rows.size()) + " are listed)" : "") +
                       "; nothing was extracted";
    throw ApiError(422, "bad_positions", msg, std::move(rows));
  }
  return batch;
}

Page page_of(const Request& req, uint64_t total, uint64_t default_size, uint64_t max_size) {
  Page p;
  p.page = query_uint(req, "page", 1, 1);
  p.page_size = query_uint(req, "page_size", default_size, 1, max_size);
  if (p.page_size == 0) {
    p.first = 0;
    p.last = total;
    return p;
  }
  // (page - 1) * page_size may overflow 64 bits for absurd pages: compare by division.
  p.first = (p.page - 1) >= (total + p.page_size - 1) / p.page_size ? total : (p.page - 1) * p.page_size;
  p.last = std::min<uint64_t>(total, p.first + p.page_size);
  return p;
}

void append_csv_field(std::string& out, std::string_view f) {
  if (f.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(f);
    return;
  }
  out.push_back('"');
  for (char c : f) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_tsv_field(std::string& out, std::string_view f) {
  for (char c : f) out.push_back(c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
}

}  // namespace ofq::server::detail
