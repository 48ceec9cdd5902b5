#include "ofq/server/digest_catalog.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>

#include "ofq/error.hpp"
#include "ofq/server/catalog.hpp"

namespace ofq::server {

struct DigestCatalog::Member {
  enum class State { waiting, hashing, ready, failed };
  std::string sample_id;
  SampleEntry* entry = nullptr;  // null for members added with add_sample()
  std::unordered_set<std::string> circular;
  // Guarded by DigestCatalog::mutex_.
  State state = State::waiting;
  std::shared_ptr<const Sample> sample;
  uint64_t generation = 0;
  std::vector<RecordDigest> digests;
  std::unordered_map<RecordId, std::vector<RefgetAlias>> record_aliases;
  std::atomic<uint64_t> done_bases{0};
  std::atomic<uint64_t> total_bases{0};
};

namespace {
uint64_t load_u64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
RefgetAlias split_alias(const std::string& alias) {
  RefgetAlias a;
  a.alias = alias;
  const size_t colon = alias.find(':');
  a.authority = alias.substr(0, colon);
  a.accession = colon == std::string::npos ? "" : alias.substr(colon + 1);
  return a;
}
}  // namespace

// Digests are uniformly random bytes: their first 8 bytes are a perfect hash.
size_t DigestCatalog::Key16Hash::operator()(const Md5Bytes& k) const noexcept {
  return static_cast<size_t>(load_u64(k.data()));
}
size_t DigestCatalog::Key24Hash::operator()(const Sha512t24Bytes& k) const noexcept {
  return static_cast<size_t>(load_u64(k.data()));
}

DigestCatalog::DigestCatalog(DigestCatalogOptions opt) : opt_(opt) {}

DigestCatalog::DigestCatalog(const Catalog& catalog, DigestCatalogOptions opt)
    : catalog_(&catalog), opt_(opt) {
  for (const auto& e : catalog.samples()) {
    auto m = std::make_unique<Member>();
    m->sample_id = e->sample_id;
    m->entry = e.get();
    for (const auto& [seq, topo] : e->topology)
      if (topo == "circular") m->circular.insert(seq);
    member_by_id_[m->sample_id] = static_cast<uint32_t>(members_.size());
    members_.push_back(std::move(m));
  }
  for (const Alias& a : catalog.aliases()) add_alias(a.alias, a.sample_id, a.sequence_id);
}

DigestCatalog::~DigestCatalog() { stop(); }

void DigestCatalog::add_alias(std::string alias, std::string sample_id, std::string sequence_id) {
  AliasTarget t{split_alias(alias), std::move(sample_id), std::move(sequence_id)};
  aliases_.emplace(std::move(alias), std::move(t));
}

void DigestCatalog::add_sample(std::string sample_id, std::shared_ptr<const Sample> sample,
                               std::unordered_set<std::string> circular) {
  auto m = std::make_unique<Member>();
  m->sample_id = std::move(sample_id);
  m->circular = std::move(circular);
  Member& ref = *m;
  member_by_id_[m->sample_id] = static_cast<uint32_t>(members_.size());
  members_.push_back(std::move(m));
  hash_member(ref, sample);
}

void DigestCatalog::start() {
  if (thread_.joinable() || !catalog_) return;
  stop_ = false;
  thread_ = std::thread([this] { run(); });
}

void DigestCatalog::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void DigestCatalog::run() {
  using namespace std::chrono_literals;
  while (!stop_) {
    bool waiting = false;
    for (auto& mp : members_) {
      if (stop_) return;
      Member& m = *mp;
      if (!m.entry) continue;
      const IndexStatus st = m.entry->status();
      if (st == IndexStatus::building) {
        waiting = true;
        continue;
      }
      const uint64_t gen = m.entry->generation();
      {
        std::shared_lock<std::shared_mutex> l(mutex_);
        if (m.generation == gen && (m.state == Member::State::ready || m.state == Member::State::failed))
          continue;
      }
      if (st == IndexStatus::failed) {
        std::unique_lock<std::shared_mutex> l(mutex_);
        m.state = Member::State::failed;
        m.generation = gen;
        continue;
      }
      auto s = m.entry->sample();
      if (!s) {
        waiting = true;
        continue;
      }
      {
        std::unique_lock<std::shared_mutex> l(mutex_);
        m.generation = gen;
      }
      hash_member(m, s);
    }
    // Once everything is hashed, keep watching for re-indexed samples, less often.
    for (int i = 0; i < (waiting ? 2 : 10) && !stop_; ++i) std::this_thread::sleep_for(50ms);
  }
}

void DigestCatalog::hash_member(Member& m, const std::shared_ptr<const Sample>& sample) {
  const uint32_t mi = member_by_id_.at(m.sample_id);
  {
    std::unique_lock<std::shared_mutex> l(mutex_);
    m.sample = sample;
    m.digests.assign(sample->index().record_count(), RecordDigest{});
    m.record_aliases.clear();
    for (const auto& [name, t] : aliases_)
      if (t.sample_id == m.sample_id)
        if (auto r = sample->index().find(t.sequence_id)) m.record_aliases[*r].push_back(t.alias);
    for (auto& [r, v] : m.record_aliases)
      std::sort(v.begin(), v.end(), [](const RefgetAlias& a, const RefgetAlias& b) { return a.alias < b.alias; });
    m.state = Member::State::hashing;
    m.done_bases = 0;
    m.total_bases = sample->index().total_bases();
  }
  DigestOptions opt;
  opt.threads = opt_.threads;
  opt.write = opt_.write_sidecars;
  opt.cancel = &stop_;
  opt.on_record = [this, mi](RecordId r, const RecordDigest& d) { on_record(mi, r, d); };
  opt.progress = [&m](uint64_t done, uint64_t) { m.done_bases = done; };
  const auto t0 = std::chrono::steady_clock::now();
  bool reused = false;
  try {
    DigestTable t;
    if (auto loaded = load_digests(*sample)) {
      reused = true;
      for (RecordId r = 0; r < loaded->records.size(); ++r) on_record(mi, r, loaded->records[r]);
      t = std::move(*loaded);
    } else {
      t = compute_digests(*sample, opt);
    }
    const bool complete = t.complete();
    if (complete && m.entry)
      m.entry->set_digests(std::make_shared<const DigestTable>(std::move(t)), m.generation);
    std::unique_lock<std::shared_mutex> l(mutex_);
    if (complete) {
      m.state = Member::State::ready;
      m.done_bases = m.total_bases.load();
    }
  } catch (const std::exception& e) {
    std::unique_lock<std::shared_mutex> l(mutex_);
    m.state = Member::State::failed;
    if (opt_.log)
      std::fprintf(stderr, "ofq serve: digests of sample %s failed: %s\n", m.sample_id.c_str(),
                   catalog_ ? catalog_->scrub(e.what()).c_str() : e.what());
    return;
  }
  if (opt_.log && !stop_) {
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "ofq serve: digests of %s: %zu records, %llu bases, %.2f s%s\n",
                 m.sample_id.c_str(), m.digests.size(),
                 static_cast<unsigned long long>(m.total_bases.load()), s,
                 reused ? " (reused FILE.ofqi.digests)" : "");
  }
}

void DigestCatalog::on_record(uint32_t mi, RecordId r, const RecordDigest& d) {
  std::unique_lock<std::shared_mutex> l(mutex_);
  Member& m = *members_[mi];
  if (r >= m.digests.size()) return;
  m.digests[r] = d;
  if (d.state != DigestState::done) return;
  const Loc loc{mi, r};
  const auto better = [](const Loc& a, const Loc& b) {
    return a.member != b.member ? a.member < b.member : a.record < b.record;
  };
  auto [it5, new5] = by_md5_.try_emplace(d.digest.md5, loc);
  if (!new5 && better(loc, it5->second)) it5->second = loc;
  auto [its, news] = by_sha_.try_emplace(d.digest.sha512t24, loc);
  if (!news && better(loc, its->second)) its->second = loc;
  auto ra = m.record_aliases.find(r);
  if (ra != m.record_aliases.end()) {
    auto& v = aliases_by_sha_[d.digest.sha512t24];
    for (const auto& a : ra->second)
      if (std::none_of(v.begin(), v.end(), [&](const RefgetAlias& x) { return x.alias == a.alias; }))
        v.push_back(a);
  }
}

DigestLookup DigestCatalog::not_found(const std::string& what) const {
  DigestLookup out;
  if (!complete()) {
    const auto [done, total] = progress();
    out.status = DigestLookup::Status::pending;
    out.message = "no sequence has digest " + what + " yet, but digests are still being computed (" +
                  std::to_string(total ? done * 100 / total : 0) + "% done); retry later";
  } else {
    out.status = DigestLookup::Status::unknown;
    out.message = "no sequence of this catalog has the id " + what;
  }
  return out;
}

// Caller holds mutex_ (shared).
DigestLookup DigestCatalog::resolve(uint32_t mi, RecordId r, const std::string& what) const {
  const Member& m = *members_[mi];
  DigestLookup out;
  const RecordDigest& d = m.digests[r];
  const RecordInfo info = m.sample->index().record(r);
  if (d.state == DigestState::pending) {
    out.status = DigestLookup::Status::pending;
    out.message = what + " names sequence " + std::string(info.name) + " of sample " + m.sample_id +
                  ", whose digests are still being computed; retry later";
    return out;
  }
  if (d.state == DigestState::not_served) {
    out.status = DigestLookup::Status::not_served;
    out.message = what + " names sequence " + std::string(info.name) + " of sample " + m.sample_id +
                  ", which holds '-', '.' or '*': refget counts letters only, so its coordinates "
                  "would not match the file's; use /v1 for it";
    return out;
  }
  out.status = DigestLookup::Status::found;
  out.ref.sample_id = m.sample_id;
  out.ref.sample = m.sample;
  out.ref.record = r;
  out.ref.length = info.length;
  out.ref.circular = !m.circular.empty() && m.circular.count(std::string(info.name)) > 0;
  out.ref.digest = d.digest;
  auto al = aliases_by_sha_.find(d.digest.sha512t24);
  if (al != aliases_by_sha_.end()) out.ref.aliases = al->second;
  return out;
}

DigestLookup DigestCatalog::find(std::string_view id_text) const {
  auto id = parse_refget_id(id_text);
  if (!id) {
    DigestLookup out;
    out.status = DigestLookup::Status::unknown;
    out.message = "'" + std::string(id_text.substr(0, 120)) +
                  "' is not a refget id: expected an md5 (32 hex), a ga4gh id (SQ. + 32 "
                  "characters), a TRUNC512 (48 hex) or a namespaced alias such as insdc:X";
    return out;
  }
  return find(*id);
}

DigestLookup DigestCatalog::find(const RefgetId& id) const {
  if (id.kind == RefgetId::Kind::alias) {
    auto it = aliases_.find(id.alias);
    if (it == aliases_.end()) {
      DigestLookup out;
      out.status = DigestLookup::Status::unknown;
      out.message = "the alias " + id.alias.substr(0, 120) + " is not in this catalog's alias table";
      return out;
    }
    const AliasTarget& t = it->second;
    auto mi = member_by_id_.find(t.sample_id);
    DigestLookup out;
    out.status = DigestLookup::Status::unknown;
    if (mi == member_by_id_.end()) {
      out.message = "the alias " + id.alias + " names sample " + t.sample_id + ", which this catalog does not serve";
      return out;
    }
    std::shared_lock<std::shared_mutex> l(mutex_);
    const Member& m = *members_[mi->second];
    if (m.state == Member::State::failed) {
      out.message = "the alias " + id.alias + " names sample " + t.sample_id + ", which could not be indexed";
      return out;
    }
    if (!m.sample) {
      out.status = DigestLookup::Status::pending;
      out.message = "sample " + t.sample_id + " of alias " + id.alias + " is not indexed yet; retry later";
      return out;
    }
    auto r = m.sample->index().find(t.sequence_id);
    if (!r) {
      out.message = "the alias " + id.alias + " names sequence " + t.sequence_id + " of sample " +
                    t.sample_id + ", which the sample does not hold";
      return out;
    }
    return resolve(mi->second, *r, id.alias);
  }
  std::string what;
  Loc loc;
  bool hit = false;
  {
    std::shared_lock<std::shared_mutex> l(mutex_);
    if (id.kind == RefgetId::Kind::md5) {
      auto it = by_md5_.find(id.md5);
      hit = it != by_md5_.end();
      if (hit) loc = it->second;
    } else {
      auto it = by_sha_.find(id.sha512t24);
      hit = it != by_sha_.end();
      if (hit) loc = it->second;
    }
    if (hit) {
      const Member& m = *members_[loc.member];
      const RecordDigest& d = m.digests[loc.record];
      // A key left over from an older generation of a re-indexed sample is not trusted.
      const bool current = d.state == DigestState::done &&
                           (id.kind == RefgetId::Kind::md5 ? d.digest.md5 == id.md5
                                                           : d.digest.sha512t24 == id.sha512t24);
      if (current) return resolve(loc.member, loc.record, "");
    }
  }
  what = id.kind == RefgetId::Kind::md5 ? "md5:" + md5_hex(id.md5) : ga4gh_id(id.sha512t24);
  return not_found(what);
}

std::optional<RecordDigest> DigestCatalog::digest_of(std::string_view sample_id, RecordId r) const {
  auto mi = member_by_id_.find(std::string(sample_id));
  if (mi == member_by_id_.end()) return std::nullopt;
  std::shared_lock<std::shared_mutex> l(mutex_);
  const Member& m = *members_[mi->second];
  if (r >= m.digests.size() || m.digests[r].state == DigestState::pending) return std::nullopt;
  return m.digests[r];
}

bool DigestCatalog::complete() const {
  std::shared_lock<std::shared_mutex> l(mutex_);
  for (const auto& mp : members_) {
    const Member& m = *mp;
    if (m.entry) {
      const IndexStatus st = m.entry->status();
      if (st == IndexStatus::building) return false;
      if (st == IndexStatus::failed) continue;
      if (m.entry->generation() != m.generation) return false;
    }
    if (m.state != Member::State::ready && m.state != Member::State::failed) return false;
  }
  return true;
}

std::pair<uint64_t, uint64_t> DigestCatalog::progress() const {
  uint64_t done = 0, total = 0;
  for (const auto& m : members_) {
    done += m->done_bases.load();
    total += m->total_bases.load();
  }
  return {done, total};
}

std::vector<std::string> DigestCatalog::identifier_types() const {
  std::set<std::string> s;
  for (const auto& [name, t] : aliases_)
    if (!t.alias.authority.empty()) s.insert(t.alias.authority);
  return {s.begin(), s.end()};
}

}  // namespace ofq::server
