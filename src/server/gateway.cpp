#include "ofq/server/gateway.hpp"

#include <zlib.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "ofq/server/error_status.hpp"

namespace ofq::server {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}


/// The code of an API.md error body: `{"error":"code",...}` (nlohmann sorts keys, and
/// "error" comes before "message" and "rows").
std::string error_code_of(const Response& r) {
  if (r.status < 400) return {};
  std::string_view b = r.body;
  constexpr std::string_view key = "{\"error\":\"";
  if (b.substr(0, key.size()) != key) return "http_" + std::to_string(r.status);
  b.remove_prefix(key.size());
  size_t q = b.find('"');
  return std::string(b.substr(0, q == std::string_view::npos ? 0 : q));
}

bool has_header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers)
    if (iequals(k, name)) return true;
  return false;
}

/// Counts bytes handed to the transport.
class CountingSink final : public OutputSink {
public:
  explicit CountingSink(OutputSink& out) : out_(out) {}
  void write(std::string_view b) override {
    out_.write(b);
    bytes += b.size();
  }
  void flush() override { out_.flush(); }
  uint64_t bytes = 0;

private:
  OutputSink& out_;
};

/// Refuses an answer that grows past the limit (before compression).
class LimitSink final : public OutputSink {
public:
  LimitSink(OutputSink& out, uint64_t limit) : out_(out), limit_(limit) {}
  void write(std::string_view b) override {
    bytes_ += b.size();
    if (bytes_ > limit_)
      throw ApiError(413, "too_large",
                     "the answer is over the limit of " + std::to_string(limit_) +
                         " bytes a request (--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)");
    out_.write(b);
  }
  void flush() override { out_.flush(); }

private:
  OutputSink& out_;
  uint64_t limit_;
  uint64_t bytes_ = 0;
};

}  // namespace

// ---- tokens ----

TokenSet TokenSet::load(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw std::runtime_error("--tokens " + path + ": is a folder; expected a file of tokens, one a line");
  std::ifstream in(path);
  if (!in) throw std::runtime_error("--tokens " + path + ": cannot be read");
  TokenSet t;
  std::unordered_map<std::string, unsigned> line_of;
  std::string line;
  unsigned n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    size_t sp = l.find_first_of(" \t");
    std::string token(l.substr(0, sp));
    std::string name = sp == std::string_view::npos ? "" : std::string(trim(l.substr(sp)));
    if (name.empty()) name = "token" + std::to_string(t.size() + 1);
    // The same token twice would give one of two client names at random: refuse it.
    if (auto [it, fresh] = line_of.emplace(token, n); !fresh)
      throw std::runtime_error("--tokens " + path + ": line " + std::to_string(n) + " repeats the token of line " +
                               std::to_string(it->second));
    t.add(std::move(token), std::move(name));
  }
  if (in.bad()) throw std::runtime_error("--tokens " + path + ": read failed");
  if (t.size() == 0) throw std::runtime_error("--tokens " + path + ": holds no token (one token a line)");
  return t;
}

void TokenSet::add(std::string token, std::string name) { tokens_[std::move(token)] = std::move(name); }

std::optional<std::string> TokenSet::check(std::string_view auth) const {
  auth = trim(auth);
  if (auth.size() < 7 || !iequals(auth.substr(0, 7), "bearer ")) return std::nullopt;
  std::string token(trim(auth.substr(7)));
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

// ---- rate limit ----

RateLimiter::RateLimiter(double rate, double burst) : rate_(rate), burst_(burst > 0 ? burst : std::max(rate, 1.0)) {}

bool RateLimiter::allow(const std::string& client, std::chrono::steady_clock::time_point now, double* retry_after) {
  std::lock_guard lock(m_);
  if (buckets_.size() > 100'000) {
    // Forget the clients whose bucket refilled: they are as good as new.
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      double t = it->second.tokens + rate_ * std::chrono::duration<double>(now - it->second.last).count();
      it = t >= burst_ ? buckets_.erase(it) : std::next(it);
    }
  }
  auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    b.tokens = std::min(burst_, b.tokens + rate_ * std::chrono::duration<double>(now - b.last).count());
    b.last = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return true;
  }
  if (retry_after) *retry_after = (1.0 - b.tokens) / rate_;
  return false;
}

double parse_rate(std::string_view text) {
  std::string t(trim(text));
  size_t slash = t.find('/');
  std::string num = t.substr(0, slash);
  std::string unit = slash == std::string::npos ? "s" : t.substr(slash + 1);
  double v = 0;
  // Decimal only (std::stod also took "0x10" as 16); a bare N means N/s.
  auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), v, std::chars_format::general);
  if (num.empty() || ec != std::errc() || end != num.data() + num.size())
    throw std::invalid_argument("--rate '" + t + "' must be N/s or N/min, e.g. 20/s");
  double per = unit == "s" || unit == "sec" ? 1 : unit == "m" || unit == "min" ? 60 : unit == "h" ? 3600 : 0;
  if (per == 0 || !(v > 0) || !std::isfinite(v))
    throw std::invalid_argument("--rate '" + t + "' must be N/s or N/min with N > 0, e.g. 20/s");
  return v / per;
}

std::string rate_text(double per_second) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", per_second);
  return rate;
}

// ---- gzip ----

bool accepts_gzip(std::string_view ae) {
  size_t i = 0;
  while (i <= ae.size()) {
    size_t j = ae.find(',', i);
    if (j == std::string_view::npos) j = ae.size();
    std::string_view item = trim(ae.substr(i, j - i));
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip") || coding == "*") {
      double q = 1;
      if (semi != std::string_view::npos) {
        std::string_view p = trim(item.substr(semi + 1));
        if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
          try {
            q = std::stod(std::string(p.substr(2)));
          } catch (const std::exception&) {
            q = 0;
          }
        }
      }
      if (q > 0) return true;
    }
    i = j + 1;
  }
  return false;
}

struct GzipSink::State {
  z_stream z{};
  std::string out;
};

GzipSink::GzipSink(OutputSink& out, int level) : out_(out), st_(std::make_unique<State>()) {
  if (deflateInit2(&st_->z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("cannot start gzip compression");
  st_->out.resize(1u << 16);
}

GzipSink::~GzipSink() { deflateEnd(&st_->z); }

void GzipSink::pump(int flush) {
  auto& z = st_->z;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(st_->out.data());
    z.avail_out = static_cast<uInt>(st_->out.size());
    int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("gzip compression failed");
    size_t have = st_->out.size() - z.avail_out;
    if (have) out_.write(std::string_view(st_->out.data(), have));
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) return;
  }
}

void GzipSink::write(std::string_view bytes) {
  if (bytes.empty()) return;
  st_->z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  st_->z.avail_in = static_cast<uInt>(bytes.size());
  pump(Z_NO_FLUSH);
}

void GzipSink::finish() {
  st_->z.next_in = nullptr;
  st_->z.avail_in = 0;
  pump(Z_FINISH);
}

std::string gzip_compress(std::string_view data, int level) {
  StringSink s;
  GzipSink g(s, level);
  // zlib takes at most 4 GiB a call: feed it in slices.
  for (size_t i = 0; i < data.size(); i += 1u << 30) g.write(data.substr(i, 1u << 30));
  g.finish();
  return std::move(s.data);
}

// ---- the gateway ----

Gateway::Gateway(GatewayOptions opt, std::function<Response(Request&)> dispatch, RouteList routes, Metrics& metrics)
    : opt_(std::move(opt)), dispatch_(std::move(dispatch)), metrics_(metrics) {
  for (auto& [m, p] : routes) routes_.push_back(Compiled{m, p, split_path(p)});
  if (!opt_.tokens_file.empty()) tokens_ = std::make_shared<const TokenSet>(TokenSet::load(opt_.tokens_file));
  if (opt_.rate > 0) limiter_ = std::make_unique<RateLimiter>(opt_.rate, opt_.burst);
}

namespace {
bool segments_match(const std::vector<std::string>& pattern, const std::vector<std::string>& segs) {
  if (pattern.size() != segs.size()) return false;
  for (size_t i = 0; i < segs.size(); ++i) {
    const std::string& p = pattern[i];
    if (p.size() >= 2 && p.front() == '{' && p.back() == '}') continue;
    if (p != segs[i]) return false;
  }
  return true;
}
}  // namespace

std::shared_ptr<const TokenSet> Gateway::tokens() const {
  std::lock_guard lock(tokens_m_);
  return tokens_;
}

size_t Gateway::token_count() const {
  auto t = tokens();
  return t ? t->size() : 0;
}

bool Gateway::reload_tokens(std::string& message) {
  if (opt_.tokens_file.empty()) {
    message = "no --tokens file: the server is open, nothing to reload";
    return false;
  }
  std::shared_ptr<const TokenSet> fresh;
  try {
    fresh = std::make_shared<const TokenSet>(TokenSet::load(opt_.tokens_file));
  } catch (const std::exception& e) {
    message = std::string(e.what()) + "; the " + std::to_string(token_count()) + " tokens loaded before stay in force";
    return false;
  }
  message = "--tokens " + opt_.tokens_file + ": " + std::to_string(fresh->size()) + " tokens loaded";
  std::lock_guard lock(tokens_m_);
  tokens_ = std::move(fresh);
  return true;
}

void Gateway::record_transport(std::string_view method, std::string_view target, std::string_view remote,
                               unsigned status, uint64_t bytes, std::string_view error_code) {
  Request r;
  r.method = std::string(method);
  r.target = std::string(target);
  std::string_view route = target.empty() ? "unmatched" : route_of(target.substr(0, target.find('?')));
  finish(r, remote, route, remote, status, bytes, error_code, std::chrono::steady_clock::now(), false);
}

std::string_view Gateway::route_of(std::string_view path) const {
  auto segs = split_path(path.substr(0, path.find('?')));
  for (const auto& r : routes_)
    if (segments_match(r.segments, segs)) return r.pattern;
  return "unmatched";
}

bool Gateway::has_route(std::string_view method, std::string_view path) const {
  auto segs = split_path(path.substr(0, path.find('?')));
  for (const auto& r : routes_)
    if (r.method == method && segments_match(r.segments, segs)) return true;
  return false;
}

void Gateway::cors(const Request& req, Response& res) const {
  if (opt_.cors_origin.empty() || req.header("origin").empty() || has_header(res, "Access-Control-Allow-Origin"))
    return;
  res.headers.emplace_back("Access-Control-Allow-Origin", opt_.cors_origin);
  if (opt_.cors_origin != "*") res.headers.emplace_back("Vary", "Origin");
  res.headers.emplace_back("Access-Control-Expose-Headers",
                           "Content-Encoding, Location, Retry-After, X-Ofq-Rows, X-Ofq-Clamped");
}

Response Gateway::handle(Request& req, std::string_view remote) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string_view path = std::string_view(req.target).substr(0, req.target.find('?'));
  const std::string route(route_of(path));
  const bool open_route = path == "/healthz" || path == "/healthz/";
  std::string client(remote);
  if (opt_.trust_proxy) {
    // The last address is the one our proxy saw; anything before it was sent by the client
    // and could be forged to dodge the rate limit (docs/operations.md's nginx block sets the
    // header to $remote_addr, so there is only one).
    // Several header lines are one list (RFC 9110): the last line holds the last address.
    std::string_view xff;
    for (const auto& [k, v] : req.headers)
      if (k == "x-forwarded-for") xff = v;
    if (!xff.empty()) {
      const size_t comma = xff.rfind(',');
      std::string_view last = trim(comma == std::string_view::npos ? xff : xff.substr(comma + 1));
      if (!last.empty()) client = std::string(last.substr(0, 64));
    }
  }

  auto early = [&](Response r) {
    cors(req, r);
    finish(req, remote, route, client, r.status, r.body.size(), error_code_of(r), t0, false);
    return r;
  };

  // CORS preflight: answered before the token check (browsers send none with it), unless
  // the route answers OPTIONS itself (refget).
  if (req.method == "OPTIONS" && !has_route("OPTIONS", path)) {
    Response r;
    r.status = 204;
    r.content_type = "text/plain";
    r.headers.emplace_back("Allow", "GET, HEAD, POST, OPTIONS");
    if (!opt_.cors_origin.empty()) {
      r.headers.emplace_back("Access-Control-Allow-Origin", opt_.cors_origin);
      r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
      r.headers.emplace_back("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept-Encoding");
      r.headers.emplace_back("Access-Control-Max-Age", "86400");
    }
    finish(req, remote, route, client, r.status, 0, "", t0, false);
    return r;
  }

  // Over the rate: 429 with the time to wait. Keyed by token name once known; before that,
  // by address, so that a client guessing tokens is slowed down too.
  auto over_rate = [&](const std::string& key) -> std::optional<Response> {
    double wait = 0;
    if (!limiter_ || open_route || limiter_->allow(key, t0, &wait)) return std::nullopt;
    Response r = error_response(429, "rate_limited",
                                "more than " + rate_text(limiter_->rate()) +
                                    " requests a second from this client (--rate); retry after the time in Retry-After");
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<long long>(std::ceil(wait))));
    return r;
  };

  if (auto set = tokens(); set && !open_route && req.method != "OPTIONS") {
    auto who = set->check(req.header("authorization"));
    if (!who) {
      if (auto limited = over_rate("address " + client)) return early(std::move(*limited));
      Response r = error_response(
          401, "unauthorized",
          req.header("authorization").empty()
              ? "this server needs a token: send Authorization: Bearer TOKEN (Python client: token= or OCEANIA_API_TOKEN)"
              : "the token sent is not valid for this server");
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"ofq\"");
      return early(std::move(r));
    }
    client = *who;
  }

  if (auto limited = over_rate(client)) return early(std::move(*limited));

  // A compressed request body would be parsed as its compressed bytes: refused, with why.
  if (auto ce = req.header("content-encoding"); !ce.empty() && !iequals(trim(ce), "identity"))
    return early(error_response(400, "bad_request",
                                "Content-Encoding '" + std::string(ce.substr(0, 40)) +
                                    "' request bodies are not supported: send the body uncompressed"));

  Response res = dispatch_(req);
  cors(req, res);
  // refget answers keep identity content-coding: the spec allows only transfer-coding
  // compression, and clients (the compliance suite) check Content-Length against the bases.
  const bool gzip = opt_.gzip_min_bytes > 0 && accepts_gzip(req.header("accept-encoding")) &&
                    !has_header(res, "Content-Encoding") && req.method != "HEAD" &&
                    !req.path.starts_with("/sequence/");

  if (!res.streaming()) {
    if (res.body.size() > opt_.max_answer_bytes) {
      return early(error_response(413, "too_large",
                                  "the answer of " + std::to_string(res.body.size()) + " bytes is over the limit of " +
                                      std::to_string(opt_.max_answer_bytes) +
                                      " bytes a request (--max-answer-bytes); ask for fewer or shorter regions (jobs have the same limit)"));
    }
    if (gzip && res.body.size() >= opt_.gzip_min_bytes) {
      res.body = gzip_compress(res.body, opt_.gzip_level);
      res.headers.emplace_back("Content-Encoding", "gzip");
      res.headers.emplace_back("Vary", "Accept-Encoding");
    }
    finish(req, remote, route, client, res.status, res.body.size(), error_code_of(res), t0, false);
    return res;
  }

  if (req.method == "HEAD") {  // the transport sends the headers and drops the stream
    finish(req, remote, route, client, res.status, 0, "", t0, false);
    return res;
  }
  // A streamed answer: compressed as it goes (the size is not known in advance, so any
  // accepted stream is compressed), counted, limited; logged when its last byte is out.
  if (gzip) {
    res.headers.emplace_back("Content-Encoding", "gzip");
    res.headers.emplace_back("Vary", "Accept-Encoding");
  }
  auto inner = std::move(res.stream);
  // The request outlives neither the handler nor the stream: keep what the log needs.
  auto logged = std::make_shared<Request>();
  logged->method = req.method;
  logged->target = req.target;
  for (const auto& h : req.headers)
    if (h.first == "user-agent") logged->headers.push_back(h);
  res.stream = [this, inner = std::move(inner), gzip, logged, remote = std::string(remote), route, client,
                status = res.status, t0](OutputSink& out) {
    CountingSink counted(out);
    try {
      if (gzip) {
        GzipSink z(counted, opt_.gzip_level);
        LimitSink limited(z, opt_.max_answer_bytes);
        inner(limited);
        z.finish();
      } else {
        LimitSink limited(counted, opt_.max_answer_bytes);
        inner(limited);
      }
    } catch (const ClientGone&) {
      finish(*logged, remote, route, client, status, counted.bytes, "client_gone", t0, true);
      throw;
    } catch (const ApiError& e) {
      bool sent = counted.bytes > 0;
      finish(*logged, remote, route, client, sent ? status : e.status(), counted.bytes, e.code(), t0, sent);
      throw;
    } catch (const Error& e) {
      bool sent = counted.bytes > 0;
      auto kind = http_error_kind(e.code());
      finish(*logged, remote, route, client, sent ? status : kind.status, counted.bytes, kind.code, t0, sent);
      throw;
    } catch (...) {
      finish(*logged, remote, route, client, counted.bytes > 0 ? status : 500, counted.bytes, "internal", t0,
             counted.bytes > 0);
      throw;
    }
    finish(*logged, remote, route, client, status, counted.bytes, "", t0, false);
  };
  return res;
}

void Gateway::finish(const Request& req, std::string_view remote, std::string_view route, std::string_view client,
                     unsigned status, uint64_t bytes, std::string_view error_code,
                     std::chrono::steady_clock::time_point t0, bool aborted) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  metrics_.record(route, req.method, status, secs, bytes, aborted ? "stream_aborted" : error_code);
  if (!opt_.access_log || !opt_.log_file) return;
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char ts[64];
  std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  nlohmann::json j = {{"ts", ts},
                      {"remote", remote},
                      {"client", client},
                      {"method", req.method},
                      {"target", req.target.substr(0, 2000)},
                      {"route", route},
                      {"status", status},
                      {"bytes", bytes},
                      {"ms", std::round(secs * 1e6) / 1e3}};
  if (!error_code.empty()) j["error"] = error_code;
  if (aborted) j["aborted"] = true;
  if (auto ua = req.header("user-agent"); !ua.empty()) j["user_agent"] = ua.substr(0, 200);
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(log_m_);
  std::fwrite(line.data(), 1, line.size(), opt_.log_file);
  std::fflush(opt_.log_file);
}

}  // namespace ofq::server
