#include "ofq/server/http.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

#include "ofq/server/error_status.hpp"

namespace ofq::server {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

namespace {


int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string_view Request::header(std::string_view lower_name) const noexcept {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

const std::string& Request::param(std::string_view name) const {
  auto it = params.find(name);
  if (it == params.end()) throw std::logic_error("route has no parameter " + std::string(name));
  return it->second;
}

std::optional<std::string_view> Request::query_value(std::string_view name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        throw ApiError(400, "bad_request",
                       "malformed percent-escape in '" + std::string(s.substr(0, 200)) +
                           "': '%' must be followed by two hex digits");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::map<std::string, std::string, std::less<>> parse_query(std::string_view q) {
  std::map<std::string, std::string, std::less<>> out;
  size_t i = 0;
  while (i <= q.size()) {
    size_t j = q.find('&', i);
    if (j == std::string_view::npos) j = q.size();
    std::string_view part = q.substr(i, j - i);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = percent_decode(part.substr(0, eq), true);
      std::string value = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1), true);
      out[std::move(key)] = std::move(value);
    }
    i = j + 1;
  }
  return out;
}

uint64_t query_uint(const Request& req, std::string_view name, uint64_t fallback, uint64_t min,
                    uint64_t max) {
  auto v = req.query_value(name);
  if (!v) return fallback;
  uint64_t out = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  std::string shown(v->substr(0, 40));
  if (v->empty() || ec == std::errc::result_out_of_range || ec != std::errc() ||
      p != v->data() + v->size())
    throw ApiError(400, "bad_request",
                   "query parameter '" + std::string(name) + "' must be a whole number >= " +
                       std::to_string(min) + ", got '" + shown + "'");
  if (out < min || out > max)
    throw ApiError(400, "bad_request",
                   "query parameter '" + std::string(name) + "' must be between " +
                       std::to_string(min) + " and " + std::to_string(max) + ", got " + shown);
  return out;
}

Response error_response(unsigned status, std::string_view code, std::string_view message,
                        const std::vector<RowError>& rows) {
  nlohmann::json j;
  j["error"] = code;
  // Messages may quote user input that is not UTF-8; replace rather than throw.
  j["message"] = message;
  if (!rows.empty()) {
    auto& arr = j["rows"] = nlohmann::json::array();
    for (const auto& r : rows) arr.push_back({{"row", r.row}, {"id", r.id}, {"reason", r.reason}});
  }
  Response res;
  res.status = status;
  res.content_type = "application/json";
  res.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  res.body.push_back('\n');
  return res;
}

Response error_response(const ApiError& e) {
  Response r = error_response(e.status(), e.code(), e.what(), e.rows());
  r.headers = e.headers;
  return r;
}

Response json_response(std::string body, unsigned status) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  return r;
}

Response text_response(std::string body, std::string content_type, unsigned status) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), std::move(handler)});
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : routes_) {
    std::string pattern;
    for (const auto& s : r.segments) pattern += "/" + s;
    out.emplace_back(r.method, pattern.empty() ? "/" : pattern);
  }
  return out;
}

Response Router::dispatch(Request& req) const {
  try {
    std::string_view target = req.target;
    size_t qpos = target.find('?');
    req.path = std::string(target.substr(0, qpos));
    req.query = qpos == std::string_view::npos ? decltype(req.query){} : parse_query(target.substr(qpos + 1));
    std::vector<std::string> segs = split_path(req.path);

    std::string method = req.method == "HEAD" ? "GET" : req.method;
    std::string allow;
    for (const auto& route : routes_) {
      if (route.segments.size() != segs.size()) continue;
      std::map<std::string, std::string, std::less<>> params;
      bool ok = true;
      for (size_t i = 0; i < segs.size() && ok; ++i) {
        const std::string& p = route.segments[i];
        if (p.size() >= 2 && p.front() == '{' && p.back() == '}')
          params[p.substr(1, p.size() - 2)] = percent_decode(segs[i], false);
        else
          ok = p == segs[i];
      }
      if (!ok) continue;
      if (route.method != method) {
        if (allow.find(route.method) == std::string::npos)
          allow += (allow.empty() ? "" : ", ") + route.method;
        continue;
      }
      req.params = std::move(params);
      return route.handler(req);
    }
    if (!allow.empty()) {
      Response r = error_response(405, "method_not_allowed",
                                  req.method + " is not allowed on " + req.path.substr(0, 200) +
                                      "; allowed: " + allow);
      r.headers.emplace_back("Allow", allow);
      return r;
    }
    return error_response(404, "not_found",
                          "no route " + req.path.substr(0, 200) + "; see /openapi.json or docs/http_api.md");
  } catch (const ApiError& e) {
    return error_response(e);
  } catch (const Error& e) {
    if (on_engine_error) return on_engine_error(e);
    auto kind = http_error_kind(e.code());
    return error_response(kind.status, kind.code, e.what(), e.rows());
  } catch (const std::bad_alloc&) {
    return error_response(500, "internal", "out of memory while answering; try a smaller request");
  } catch (const std::exception&) {
    // Unknown failures may carry text from anywhere (paths included): say nothing of it.
    return error_response(500, "internal", "internal error while answering this request");
  }
}

}  // namespace ofq::server
