#include "ofq/server/positions_json.hpp"

#include <simdjson.h>

#include <charconv>

#include "ofq/server/http.hpp"

namespace ofq::server {

namespace od = simdjson::ondemand;

namespace {

[[noreturn]] void bad_json(simdjson::error_code e, std::string_view where) {
  std::string what = e == simdjson::UTF8_ERROR ? "the body is not valid UTF-8"
                     : e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || e == simdjson::TRAILING_CONTENT
                         ? std::string("malformed JSON (an object or array is not closed, or text follows the "
                                       "body's object)")
                         : std::string("malformed JSON (") + simdjson::error_message(e) + ")";
  throw ApiError(400, "bad_request", what + (where.empty() ? "" : " " + std::string(where)));
}

/// The body as simdjson wants it, SIMDJSON_PADDING readable bytes past its end. The
/// transport reserves them when it reads a body, so a 40 MB batch is not copied again
/// (the copy and its page faults were a third of accepting a 1,000,000-position job).
struct PaddedBody {
  explicit PaddedBody(const std::string& body) {
    if (body.capacity() >= body.size() + simdjson::SIMDJSON_PADDING)
      view = simdjson::padded_string_view(body.data(), body.size(), body.capacity());
    else {
      copy = simdjson::padded_string(body);
      view = copy;
    }
  }
  simdjson::padded_string copy;
  simdjson::padded_string_view view;
};

struct Parsed {
  // One parser per thread: it keeps its buffers between requests.
  od::parser& parser() {
    thread_local od::parser p;
    return p;
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string shown(std::string_view s) {
  return "'" + std::string(s.substr(0, 80)) + (s.size() > 80 ? "...'" : "'");
}

/// Reads a coordinate: a whole number 0 <= n < 2^64. Returns "" or the reason.
std::string read_coordinate(od::value v, std::string_view field, uint64_t& out) {
  od::json_type t;
  if (auto e = v.type().get(t)) return std::string("cannot read ") + std::string(field) + ": " + simdjson::error_message(e);
  if (t != od::json_type::number) {
    std::string_view raw = trim(v.raw_json_token());
    return std::string(field) + " must be a whole number >= 0, found " + shown(raw);
  }
  std::string_view raw = trim(v.raw_json_token());
  if (!raw.empty() && raw.front() == '-')
    return std::string(field) + " must be >= 0, found " + shown(raw);
  auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), out);
  if (ec == std::errc::result_out_of_range)
    return std::string(field) + " is too large (at most 18446744073709551615), found " + shown(raw);
  if (ec != std::errc() || p != raw.data() + raw.size())
    return std::string(field) + " must be a whole number, found " + shown(raw);
  return "";
}

std::string read_string(od::value v, std::string_view field, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) {
    std::string_view raw = trim(v.raw_json_token());
    return std::string(field) + " must be a string, found " + shown(raw);
  }
  out.assign(s);
  return "";
}

void read_type(od::value v, PositionItem& item) {
  std::string word;
  item.reason = read_string(v, "type", word);
  if (!item.reason.empty()) return;
  auto t = parse_seq_type(word);
  if (!t)
    item.reason = "unknown type " + shown(word) + ": expected raw, complement or reverse_complement";
  else
    item.pos.type = *t;
}

void read_array_position(od::array arr, PositionItem& item) {
  size_t n = 0;
  for (auto el : arr) {
    od::value v;
    if (auto e = el.get(v)) bad_json(e, "in positions");
    if (!item.reason.empty()) {
      ++n;
      continue;
    }
    switch (n) {
      case 0: item.reason = read_string(v, "id", item.pos.id); break;
      case 1: item.reason = read_coordinate(v, "start", item.pos.start); break;
      case 2: item.reason = read_coordinate(v, "end", item.pos.end); break;
      case 3: read_type(v, item); break;
      default: break;
    }
    ++n;
  }
  if (item.reason.empty() && (n < 3 || n > 4))
    item.reason = "expected [id, start, end] or [id, start, end, type], found " +
                  std::to_string(n) + " item(s)";
}

void read_object_position(od::object obj, PositionItem& item) {
  bool has_id = false, has_start = false, has_end = false;
  unsigned seen = 0;  // one bit a known key: a key given twice is a row error, not "last wins"
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) bad_json(e, "in positions");
    od::value v;
    if (auto e = field.value().get(v)) bad_json(e, "in positions");
    if (!item.reason.empty()) continue;
    static constexpr std::string_view k_keys[] = {"id", "digest", "start", "end", "type", "name"};
    for (unsigned k = 0; k < std::size(k_keys); ++k) {
      if (key != k_keys[k]) continue;
      if (seen & (1u << k)) item.reason = "key " + shown(key) + " is given twice";
      seen |= 1u << k;
    }
    if (!item.reason.empty()) continue;
    if (key == "id") {
      has_id = true;
      item.reason = read_string(v, "id", item.pos.id);
    } else if (key == "digest") {
      has_id = true;
      item.reason = read_string(v, "digest", item.digest);
    } else if (key == "start") {
      has_start = true;
      item.reason = read_coordinate(v, "start", item.pos.start);
    } else if (key == "end") {
      has_end = true;
      item.reason = read_coordinate(v, "end", item.pos.end);
    } else if (key == "type") {
      read_type(v, item);
    } else if (key == "name") {
      item.reason = read_string(v, "name", item.pos.name);
    } else {
      item.reason = "unknown key " + shown(key) + ": expected id, start, end, type";
    }
  }
  if (item.reason.empty() && (!has_id || !has_start || !has_end))
    item.reason = std::string("missing ") + (!has_id ? "id" : !has_start ? "start" : "end");
}

}  // namespace

void too_many_positions(uint64_t max_positions) {
  throw ApiError(413, "too_large",
                 "more than " + std::to_string(max_positions) +
                     " positions in one request (the server's --max-positions); split it or use a positions file with `ofq extract`");
}

BodyFields read_body_fields(const std::string& body, std::initializer_list<std::string_view> allowed,
                            bool count_positions) {
  Parsed ctx;
  PaddedBody padded(body);
  od::document doc;
  if (auto e = ctx.parser().iterate(padded.view).get(doc)) bad_json(e, "");
  od::object obj;
  if (auto e = doc.get_object().get(obj)) {
    if (e == simdjson::INCORRECT_TYPE)
      throw ApiError(400, "bad_request", "the body must be a JSON object, e.g. {\"positions\": [...]}");
    bad_json(e, "");
  }
  BodyFields out;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) bad_json(e, "");
    bool known = false;
    for (auto a : allowed) known |= a == key;
    if ((key == "positions" && out.has_positions) || out.strings.count(key))
      throw ApiError(400, "bad_request", "member " + shown(key) + " is given twice in the body");
    if (!known && key != "positions") {
      std::string list;
      for (auto a : allowed) list += std::string(list.empty() ? "" : ", ") + std::string(a);
      throw ApiError(400, "bad_request",
                     "unknown member " + shown(key) + " in the body; expected positions" +
                         (list.empty() ? "" : ", " + list));
    }
    od::value v;
    if (auto e = field.value().get(v)) bad_json(e, "");
    if (key == "positions") {
      out.has_positions = true;
      od::json_type t;
      if (auto e = v.type().get(t)) bad_json(e, "in positions");
      if (t != od::json_type::array)
        throw ApiError(400, "bad_request", "positions must be an array of [id, start, end(, type)]");
      if (count_positions) {
        // So that a job over --max-positions is refused at once (413), and its total is
        // known from the start; the elements are checked by read_positions().
        od::array arr;
        if (auto e = v.get_array().get(arr)) bad_json(e, "in positions");
        size_t n = 0;
        if (auto e = arr.count_elements().get(n)) bad_json(e, "in positions");
        out.positions = n;
      }
      // Its elements are read by read_positions(); malformed JSON inside is found there,
      // still before any answer is sent.
      continue;
    }
    std::string_view s;
    if (v.get_string().get(s))
      throw ApiError(400, "bad_request",
                     std::string(key) + " must be a string, found " + shown(trim(v.raw_json_token())));
    out.strings[std::string(key)] = std::string(s);
  }
  // The object is read whole: a further token is a second document (`{...}{...}`).
  if (!doc.current_location().error())
    throw ApiError(400, "bad_request", "malformed JSON (text follows the body's object)");
  return out;
}

void read_positions(const std::string& body, uint64_t max_positions,
                    const std::function<void(uint64_t, PositionItem&)>& each) {
  Parsed ctx;
  PaddedBody padded(body);
  od::document doc;
  if (auto e = ctx.parser().iterate(padded.view).get(doc)) bad_json(e, "");
  od::object obj;
  if (auto e = doc.get_object().get(obj)) bad_json(e, "");
  // The member is found by its unescaped name, as read_body_fields() reads it
  // ("po\u0073itions" is "positions"): find_field_unordered() compares raw keys.
  od::value positions;
  bool found = false;
  for (auto field : obj) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) bad_json(e, "");
    if (key != "positions") continue;
    if (auto e = field.value().get(positions)) bad_json(e, "");
    found = true;
    break;
  }
  if (!found)
    throw ApiError(400, "bad_request", "the body has no positions: {\"positions\": [[id, start, end], ...]}");
  od::array arr;
  if (positions.get_array().get(arr))
    throw ApiError(400, "bad_request", "positions must be an array of [id, start, end(, type)]");
  uint64_t row = 0;
  PositionItem item;
  for (auto el : arr) {
    if (row >= max_positions) too_many_positions(max_positions);
    od::value v;
    if (auto e = el.get(v)) bad_json(e, "in positions");
    item.pos = Position{};
    item.digest.clear();
    item.reason.clear();
    od::json_type t;
    if (auto e = v.type().get(t)) bad_json(e, "in positions");
    if (t == od::json_type::array) {
      od::array a;
      if (auto e = v.get_array().get(a)) bad_json(e, "in positions");
      read_array_position(a, item);
    } else if (t == od::json_type::object) {
      od::object o;
      if (auto e = v.get_object().get(o)) bad_json(e, "in positions");
      read_object_position(o, item);
    } else {
      item.reason = "a position must be [id, start, end(, type)] or an object, found " +
                    shown(trim(v.raw_json_token()));
    }
    each(row, item);
    ++row;
  }
}

}  // namespace ofq::server
