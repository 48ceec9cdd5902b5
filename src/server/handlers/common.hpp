// Helpers shared by the handler files: building batches from JSON bodies, paging, CSV/TSV
// field quoting. Private to src/server.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ofq/batch.hpp"
#include "ofq/output.hpp"
#include "ofq/server/service.hpp"

namespace ofq::server::detail {

/// Reads every position of `body` into a new Batch over `sample`, then refuses the whole
/// request (422 bad_positions, every bad row listed) when any row is invalid.
[[nodiscard]] std::shared_ptr<Batch> batch_from_body(const Service& svc, const SampleEntry& e,
                                                     std::shared_ptr<const Sample> sample,
                                                     const std::string& body, bool strict);

/// 1-based page bounds over `total` items: [first, last). page_size 0 means all.
struct Page {
  uint64_t page = 1, page_size = 0, first = 0, last = 0;
};
[[nodiscard]] Page page_of(const Request& req, uint64_t total, uint64_t default_size,
                           uint64_t max_size);

/// RFC 4180: quoted when holding a comma, quote, CR or LF.
void append_csv_field(std::string& out, std::string_view field);
/// TSV fields cannot hold tabs or newlines: they are replaced by spaces.
void append_tsv_field(std::string& out, std::string_view field);

}  // namespace ofq::server::detail
