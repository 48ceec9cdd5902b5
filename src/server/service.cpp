#include "ofq/server/service.hpp"

#include <openssl/rand.h>

#include <cstdio>

#include "ofq/server/error_status.hpp"

namespace ofq::server {

std::string ResultStore::create() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1)
    throw ApiError(500, "internal", "cannot draw a random result key");
  static const char* hex = "0123456789abcdef";
  std::string key;
  for (unsigned char c : raw) {
    key.push_back(hex[c >> 4]);
    key.push_back(hex[c & 15]);
  }
  std::lock_guard lock(mutex_);
  expire_locked();
  slots_[key] = Slot{Entry{State::running, {}, nullptr, {}}, std::chrono::steady_clock::now()};
  return key;
}

void ResultStore::complete(const std::string& key, std::string content_type, std::string body) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  stored_bytes_ += body.size();
  it->second.entry.state = State::done;
  it->second.entry.content_type = std::move(content_type);
  it->second.entry.body = std::make_shared<const std::string>(std::move(body));
  expire_locked();
}

void ResultStore::fail(const std::string& key, Response error) {
  std::lock_guard lock(mutex_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return;
  it->second.entry.state = State::failed;
  it->second.entry.error = std::move(error);
}

ResultStore::Entry ResultStore::get(const std::string& key) {
  std::lock_guard lock(mutex_);
  expire_locked();
  auto it = slots_.find(key);
  if (it == slots_.end()) return Entry{};
  return it->second.entry;
}

void ResultStore::expire_locked() {
  auto now = std::chrono::steady_clock::now();
  auto drop = [this](Slot& s) {
    if (s.entry.body) stored_bytes_ -= s.entry.body->size();
    s.entry = Entry{State::expired, {}, nullptr, {}};
  };
  // Expired keys stay as tombstones (410, not 404) for ten TTLs, then are forgotten.
  for (auto it = slots_.begin(); it != slots_.end();) {
    auto age = now - it->second.created;
    if (age > limits_.result_ttl * 10) {
      if (it->second.entry.body) stored_bytes_ -= it->second.entry.body->size();
      it = slots_.erase(it);
      continue;
    }
    if (age > limits_.result_ttl && it->second.entry.state != State::expired &&
        it->second.entry.state != State::running)
      drop(it->second);
    ++it;
  }
  // Over the memory budget: the oldest finished results go first.
  while (stored_bytes_ > limits_.max_stored_result_bytes) {
    Slot* oldest = nullptr;
    for (auto& [k, s] : slots_)
      if (s.entry.body && (!oldest || s.created < oldest->created)) oldest = &s;
    if (!oldest) break;
    drop(*oldest);
  }
}

SampleEntry& Service::entry(std::string_view sample_id) const {
  if (std::string p = lexical_key_problem(sample_id, "sample id"); !p.empty())
    throw ApiError(400, "bad_request", p);
  SampleEntry* e = catalog.find(sample_id);
  if (!e)
    throw ApiError(404, "unknown_sample",
                   "no sample '" + std::string(sample_id.substr(0, 200)) +
                       "' in this catalog; GET /v1/samples lists them");
  return *e;
}

std::shared_ptr<const Sample> Service::ready(SampleEntry& e) const {
  switch (e.status()) {
    case IndexStatus::ready:
      if (auto s = e.sample()) return s;
      [[fallthrough]];
    case IndexStatus::building: {
      ApiError err(503, "not_ready",
                   "sample '" + e.sample_id + "' is being indexed; retry in a few seconds");
      err.headers.emplace_back("Retry-After", "2");
      throw err;
    }
    case IndexStatus::failed:
      throw ApiError(500, "internal",
                     "sample '" + e.sample_id + "' cannot be served: " + e.error());
  }
  throw ApiError(500, "internal", "sample in an unknown state");
}

Response Service::engine_error(const Error& err, SampleEntry* e) const {
  auto kind = http_error_kind(err.code());
  std::string msg = catalog.scrub(err.what());
  if (e && err.code() == Errc::corrupt_input) {
    catalog.recheck(*e);
    msg += " (the sample is being checked again)";
  }
  std::vector<RowError> rows = err.rows();
  for (auto& r : rows) r.reason = catalog.scrub(r.reason);
  return error_response(kind.status, kind.code, msg, rows);
}

}  // namespace ofq::server
