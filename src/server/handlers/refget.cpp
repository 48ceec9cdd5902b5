// GA4GH refget v2 over the catalog (REFGET.md; docs/refget.md). See refget.hpp.
#include "handlers/refget.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

#include "ofq/error.hpp"
#include "ofq/output.hpp"
#include "ofq/region.hpp"
#include "ofq/server/service.hpp"

namespace ofq::server::refget {
namespace {

constexpr std::string_view k_plain_type = "text/vnd.ga4gh.refget.v2.0.0+plain; charset=us-ascii";
constexpr std::string_view k_json_type = "application/vnd.ga4gh.refget.v2.0.0+json; charset=us-ascii";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

/// Every refget answer, errors included, carries CORS (REFGET.md 1.7).
void add_cors(Response& r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  r.headers.emplace_back("Access-Control-Expose-Headers", "Content-Length, Content-Range, Retry-After");
}

Response refget_error(unsigned status, std::string_view code, const std::string& message) {
  Response r = error_response(status, code, message);
  add_cors(r);
  return r;
}

/// 503 with Retry-After while digests are computed; 404 (unknown, or gap symbols) otherwise.
Response lookup_error(const DigestLookup& l, const Options& opt) {
  if (l.status != DigestLookup::Status::pending) return refget_error(404, "unknown_sequence", l.message);
  Response r = refget_error(503, "not_ready", l.message);
  r.headers.emplace_back("Retry-After", std::to_string(opt.retry_after_seconds));
  return r;
}

/// A whole number of at most 19 digits; nullopt otherwise.
std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Plan fail(unsigned status, std::string message) {
  Plan p;
  p.status = status;
  p.message = std::move(message);
  return p;
}

std::string quoted(std::string_view s) { return "'" + std::string(s.substr(0, 80)) + "'"; }

/// Uppercases letters in place (refget output is A-Z; refget-served records hold letters only).
void upper(char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<char>(p[i] & ~0x20);
}

}  // namespace

std::optional<std::string> negotiate(std::string_view accept, Body body) {
  accept = trim(accept);
  const std::string_view vendor = body == Body::sequence ? k_plain_type : k_json_type;
  if (accept.empty()) return std::string(vendor);
  size_t i = 0;
  while (i <= accept.size()) {
    size_t j = accept.find(',', i);
    if (j == std::string_view::npos) j = accept.size();
    std::string_view item = accept.substr(i, j - i);
    item = trim(item.substr(0, item.find(';')));
    const std::string t = lower(item);
    i = j + 1;
    if (t.empty()) continue;
    if (t == "*/*") return std::string(vendor);
    if (body == Body::sequence) {
      if (t == "text/*" || t == "text/vnd.ga4gh.refget.v1.0.0+plain" ||
          t == "text/vnd.ga4gh.refget.v2.0.0+plain")
        return std::string(vendor);
      if (t == "text/plain") return std::string("text/plain; charset=us-ascii");
    } else {
      if (t == "application/*" || t == "application/vnd.ga4gh.refget.v1.0.0+json" ||
          t == "application/vnd.ga4gh.refget.v2.0.0+json")
        return std::string(vendor);
      if (t == "application/json") return std::string("application/json");
    }
  }
  return std::nullopt;
}

std::optional<ByteRange> parse_range(std::string_view header) {
  header = trim(header);
  if (header.size() < 6 || lower(header.substr(0, 6)) != "bytes=") return std::nullopt;
  header.remove_prefix(6);
  const size_t dash = header.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto a = parse_number(header.substr(0, dash));
  auto b = parse_number(header.substr(dash + 1));
  if (!a || !b) return std::nullopt;
  return ByteRange{*a, *b};
}

uint64_t Plan::size() const noexcept {
  uint64_t n = 0;
  for (const auto& [b, e] : pieces) n += e - b;
  return n;
}

Plan plan_subsequence(const PlanInput& in) {
  const uint64_t len = in.length;
  const bool has_se = in.start.has_value() || in.end.has_value();
  if (in.range && has_se)
    return fail(400, "send either a Range header or start/end query parameters, not both");
  Plan p;
  if (in.range) {
    auto r = parse_range(*in.range);
    if (!r)
      return fail(400, "malformed Range header " + quoted(*in.range) +
                           ": only one range of the form bytes=first-last is accepted");
    if (r->first >= len)
      return fail(416, "the Range starts at byte " + std::to_string(r->first) +
                           ", past the end of the sequence (" + std::to_string(len) + " bases)");
    if (r->first > r->last)
      return fail(416, "the Range ends (" + std::to_string(r->last) + ") before it starts (" +
                           std::to_string(r->first) + ")");
    const uint64_t last = std::min(r->last, len - 1);
    p.status = 206;
    p.ranged = true;
    p.pieces.emplace_back(r->first, last + 1);
  } else {
    std::optional<uint64_t> s, e;
    if (in.start && !(s = parse_number(*in.start)))
      return fail(400, "start must be a whole number >= 0, got " + quoted(*in.start));
    if (in.end && !(e = parse_number(*in.end)))
      return fail(400, "end must be a whole number >= 0, got " + quoted(*in.end));
    const uint64_t start = s.value_or(0), end = e.value_or(len);
    if (s && start >= len)
      return fail(416, "start " + std::to_string(start) + " is past the last base of the sequence (" +
                           std::to_string(len) + " bases)");
    if (e && end > len)
      return fail(416, "end " + std::to_string(end) + " is past the end of the sequence (" +
                           std::to_string(len) + " bases)");
    p.subsequence = has_se;
    if (start > end) {
      if (!in.circular_supported)
        return fail(501, "start > end asks for a circular sequence, which this server does not support");
      if (!in.circular)
        return fail(416, "start " + std::to_string(start) + " > end " + std::to_string(end) +
                             " on a linear sequence; only circular sequences wrap around");
      p.pieces.emplace_back(start, len);
      if (end > 0) p.pieces.emplace_back(0, end);
    } else {
      p.pieces.emplace_back(start, end);
    }
  }
  if (in.limit && *in.limit > 0 && p.size() > *in.limit)
    return fail(416, "the subsequence has " + std::to_string(p.size()) +
                         " bases, over this server's limit of " + std::to_string(*in.limit));
  return p;
}

Response sequence(const Request& req, const DigestCatalog& digests, const Options& opt) {
  auto type = negotiate(req.header("accept"), Body::sequence);
  if (!type)
    return refget_error(406, "not_acceptable",
                        "cannot answer Accept: " + std::string(req.header("accept").substr(0, 120)) +
                            "; sequences are text/vnd.ga4gh.refget.v2.0.0+plain or text/plain");
  const DigestLookup l = digests.find(req.param("id"));
  if (l.status != DigestLookup::Status::found) return lookup_error(l, opt);

  PlanInput in;
  in.length = l.ref.length;
  in.circular = l.ref.circular;
  in.circular_supported = opt.circular_supported;
  in.start = req.query_value("start");
  in.end = req.query_value("end");
  const std::string_view range = req.header("range");
  if (!trim(range).empty()) in.range = range;
  in.limit = opt.subsequence_limit;
  Plan plan = plan_subsequence(in);
  if (plan.status >= 400) {
    const std::string_view code = plan.status == 400   ? "bad_request"
                                  : plan.status == 416 ? "range_not_satisfiable"
                                                       : "not_implemented";
    return refget_error(plan.status, code, plan.message);
  }

  Response r;
  r.status = plan.status;
  r.content_type = *type;
  add_cors(r);
  r.headers.emplace_back("Accept-Ranges", plan.subsequence ? "none" : "bytes");
  if (plan.ranged)
    r.headers.emplace_back("Content-Range", "bytes " + std::to_string(plan.pieces[0].first) + "-" +
                                                std::to_string(plan.pieces[0].second - 1) + "/" +
                                                std::to_string(l.ref.length));
  const auto sample = l.ref.sample;
  const RecordId rec = l.ref.record;
  if (plan.size() <= opt.max_buffered_bases) {
    r.body.reserve(plan.size());
    for (const auto& [b, e] : plan.pieces) sample->fetch(rec, b, e, SeqType::raw, r.body);
    upper(r.body.data(), r.body.size());
    return r;
  }
  // Long answers stream in flat memory; their length is known before the first byte.
  r.headers.emplace_back("Content-Length", std::to_string(plan.size()));
  auto pieces = plan.pieces;
  r.stream = [sample, rec, pieces](OutputSink& sink) {
    std::string buf;
    for (const auto& [b, e] : pieces)
      sample->fetch_pieces(rec, b, e, SeqType::raw, [&](std::string_view v) {
        buf.assign(v);
        upper(buf.data(), buf.size());
        sink.write(buf);
      });
  };
  return r;
}

Response metadata(const Request& req, const DigestCatalog& digests, const Options& opt) {
  auto type = negotiate(req.header("accept"), Body::json);
  if (!type)
    return refget_error(406, "not_acceptable",
                        "cannot answer Accept: " + std::string(req.header("accept").substr(0, 120)) +
                            "; metadata is application/vnd.ga4gh.refget.v2.0.0+json or application/json");
  const DigestLookup l = digests.find(req.param("id"));
  if (l.status != DigestLookup::Status::found) return lookup_error(l, opt);
  nlohmann::json aliases = nlohmann::json::array();
  for (const RefgetAlias& a : l.ref.aliases)
    aliases.push_back({{"alias", a.accession}, {"naming_authority", a.authority}});
  const std::string ga4gh = ga4gh_id(l.ref.digest.sha512t24);
  nlohmann::json j = {{"metadata",
                       {{"id", ga4gh},
                        {"md5", md5_hex(l.ref.digest.md5)},
                        {"ga4gh", ga4gh},
                        {"trunc512", trunc512_hex(l.ref.digest.sha512t24)},
                        {"length", l.ref.length},
                        {"aliases", std::move(aliases)}}}};
  Response r = json_response(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  r.content_type = *type;
  add_cors(r);
  return r;
}

Response service_info(const Request& req, const DigestCatalog& digests, const Options& opt) {
  auto type = negotiate(req.header("accept"), Body::json);
  if (!type)
    return refget_error(406, "not_acceptable",
                        "cannot answer Accept: " + std::string(req.header("accept").substr(0, 120)) +
                            "; service-info is application/vnd.ga4gh.refget.v2.0.0+json or application/json");
  nlohmann::json limit = nullptr;
  if (opt.subsequence_limit) limit = *opt.subsequence_limit;
  nlohmann::json j = {
      {"id", "org.ofq.refget"},
      {"name", "ofq refget"},
      {"type", {{"group", "org.ga4gh"}, {"artifact", "refget"}, {"version", "2.0.0"}}},
      {"description", "GA4GH refget v2 sequences of an ofq catalog"},
      {"organization", {{"name", "ofq"}, {"url", "https://github.com/ofq/ofq"}}},
      {"version", opt.version},
      {"refget",
       {{"circular_supported", opt.circular_supported},
        {"algorithms", {"md5", "ga4gh", "trunc512"}},
        {"identifier_types", digests.identifier_types()},
        {"subsequence_limit", limit}}}};
  Response r = json_response(j.dump() + "\n");
  r.content_type = *type;
  add_cors(r);
  return r;
}

Response preflight(const Request& req) {
  Response r;
  r.status = 204;
  r.content_type = "text/plain";
  add_cors(r);
  r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
  const std::string_view asked = req.header("access-control-request-headers");
  r.headers.emplace_back("Access-Control-Allow-Headers",
                         asked.empty() ? std::string("Accept, Range, Authorization, Content-Type")
                                       : std::string(asked.substr(0, 500)));
  r.headers.emplace_back("Access-Control-Max-Age", "86400");
  return r;
}

namespace {

struct DigestRow {
  std::string digest;
  std::shared_ptr<const Sample> sample;
  RecordId record = 0;
  uint64_t start = 0, end = 0, length = 0;
  SeqType type = SeqType::raw;
};

constexpr size_t k_max_positions = 1'000'000;

std::optional<uint64_t> json_uint(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  return std::nullopt;
}

}  // namespace

Response v1_sequences(const Request& req, const DigestCatalog& digests) {
  const nlohmann::json body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    throw ApiError(400, "bad_request", "the body must be a JSON object {\"positions\": [...], \"format\": ...}");
  auto pit = body.find("positions");
  if (pit == body.end() || !pit->is_array())
    throw ApiError(400, "bad_request", "the body needs \"positions\": a list of {\"digest\", \"start\", \"end\", \"type\"}");
  if (pit->size() > k_max_positions)
    throw ApiError(413, "too_large", "at most " + std::to_string(k_max_positions) +
                                         " positions per request; use /v1/jobs for more");
  OutputFormat fmt = OutputFormat::csv;
  if (auto f = body.find("format"); f != body.end()) {
    auto parsed = f->is_string() ? parse_output_format(f->get<std::string>()) : std::nullopt;
    if (!parsed) throw ApiError(400, "bad_request", "format must be one of csv, tsv, fasta, json, ndjson");
    fmt = *parsed;
  }
  bool strict = false;
  if (auto b = body.find("bounds"); b != body.end()) {
    if (!b->is_string() || (*b != "clamp" && *b != "strict"))
      throw ApiError(400, "bad_request", "bounds must be \"clamp\" or \"strict\"");
    strict = *b == "strict";
  }

  std::vector<DigestRow> rows;
  rows.reserve(pit->size());
  std::vector<RowError> errors;
  std::string pending;
  uint64_t clamped = 0;
  for (size_t i = 0; i < pit->size(); ++i) {
    const nlohmann::json& p = (*pit)[i];
    const nlohmann::json* d = nullptr;
    const nlohmann::json* s = nullptr;
    const nlohmann::json* e = nullptr;
    const nlohmann::json* t = nullptr;
    if (p.is_object()) {
      if (auto it = p.find("digest"); it != p.end()) d = &*it;
      if (auto it = p.find("start"); it != p.end()) s = &*it;
      if (auto it = p.find("end"); it != p.end()) e = &*it;
      if (auto it = p.find("type"); it != p.end()) t = &*it;
    } else if (p.is_array() && (p.size() == 3 || p.size() == 4)) {
      d = &p[0];
      s = &p[1];
      e = &p[2];
      if (p.size() == 4) t = &p[3];
    }
    RowError err;
    err.row = i;
    if (d && d->is_string()) err.id = d->get<std::string>().substr(0, 200);
    const auto bad = [&](std::string reason) {
      err.reason = std::move(reason);
      errors.push_back(err);
    };
    if (!d || !d->is_string()) {
      bad("a position is {\"digest\": D, \"start\": S, \"end\": E[, \"type\": T]} or [D, S, E(, T)]");
      continue;
    }
    auto start = s ? json_uint(*s) : std::nullopt;
    auto end = e ? json_uint(*e) : std::nullopt;
    if (!start || !end) {
      bad("start and end must be whole numbers >= 0");
      continue;
    }
    const uint64_t sv = start.value_or(0), ev = end.value_or(0);
    if (sv > ev) {
      bad("start " + std::to_string(sv) + " > end " + std::to_string(ev));
      continue;
    }
    SeqType type = SeqType::raw;
    if (t) {
      auto parsed = t->is_string() ? parse_seq_type(t->get<std::string>()) : std::nullopt;
      if (!parsed) {
        bad("type must be raw, complement or reverse_complement");
        continue;
      }
      type = *parsed;
    }
    DigestLookup l = digests.find(d->get<std::string>());
    if (l.status == DigestLookup::Status::pending) {
      if (pending.empty()) pending = l.message;
      continue;
    }
    if (l.status != DigestLookup::Status::found) {
      bad(l.message);
      continue;
    }
    if (ev > l.ref.length) {
      if (strict) {
        bad("end " + std::to_string(ev) + " is past the end of the sequence (" +
            std::to_string(l.ref.length) + " bases)");
        continue;
      }
      ++clamped;
    }
    if (type != SeqType::raw && l.ref.sample->index().record(l.ref.record).alphabet == Alphabet::protein) {
      bad("the sequence is a protein: it has no complement");
      continue;
    }
    rows.push_back(DigestRow{d->get<std::string>(), l.ref.sample, l.ref.record, sv, ev,
                             l.ref.length, type});
  }
  if (!errors.empty()) {
    const std::string msg = std::to_string(errors.size()) + " of " + std::to_string(pit->size()) +
                            " positions are invalid; nothing was extracted";
    if (errors.size() > 1000) errors.resize(1000);
    throw ApiError(422, "bad_positions", msg, std::move(errors));
  }
  if (!pending.empty()) {
    ApiError e(503, "not_ready", pending);
    e.headers.emplace_back("Retry-After", "5");
    throw e;
  }
  Response r;
  r.content_type = std::string(content_type(fmt));
  auto shared = std::make_shared<std::vector<DigestRow>>(std::move(rows));
  r.stream = [shared, fmt, clamped](OutputSink& sink) {
    auto w = make_writer(fmt, sink);
    w->begin();
    for (const DigestRow& row : *shared) {
      RowMeta meta;
      meta.id = row.digest;
      meta.start = row.start;
      meta.end = row.end;
      meta.type = row.type;
      w->begin_row(meta);
      row.sample->fetch_pieces(row.record, row.start, std::min(row.end, row.length), row.type,
                               [&](std::string_view v) { w->piece(v); });
      w->end_row();
    }
    Summary sum;
    sum.rows = shared->size();
    sum.clamped = clamped;
    w->finish(sum);
  };
  return r;
}

}  // namespace ofq::server::refget

namespace ofq::server {

void add_refget_routes(Router& r, Service& s) {
  using namespace refget;
  // Read at each request: the Server sets Service::digests after building the routes.
  const auto with = [&s](auto fn) {
    return [&s, fn](Request& req) -> Response {
      if (!s.digests) {
        Response e = error_response(503, "not_ready", "refget digests are not available on this server");
        e.headers.emplace_back("Retry-After", "5");
        return e;
      }
      return fn(req, *s.digests);
    };
  };
  const Options opt;
  r.add("GET", "/sequence/service-info",
        with([opt](Request& q, const DigestCatalog& d) { return service_info(q, d, opt); }));
  r.add("OPTIONS", "/sequence/service-info", [](Request& q) { return preflight(q); });
  r.add("GET", "/sequence/{id}/metadata",
        with([opt](Request& q, const DigestCatalog& d) { return metadata(q, d, opt); }));
  r.add("OPTIONS", "/sequence/{id}/metadata", [](Request& q) { return preflight(q); });
  r.add("GET", "/sequence/{id}",
        with([opt](Request& q, const DigestCatalog& d) { return sequence(q, d, opt); }));
  r.add("OPTIONS", "/sequence/{id}", [](Request& q) { return preflight(q); });
  r.add("POST", "/v1/sequences",
        with([](Request& q, const DigestCatalog& d) { return v1_sequences(q, d); }));
}

}  // namespace ofq::server
