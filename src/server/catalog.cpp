#include "ofq/server/catalog.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "ofq/error.hpp"

namespace fs = std::filesystem;

namespace ofq::server {

const char* to_string(IndexStatus s) noexcept {
  switch (s) {
    case IndexStatus::building: return "building";
    case IndexStatus::ready: return "ready";
    case IndexStatus::failed: return "failed";
  }
  return "failed";
}

IndexStatus SampleEntry::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}
std::shared_ptr<const Sample> SampleEntry::sample() const {
  std::lock_guard lock(mutex_);
  return status_ == IndexStatus::ready ? sample_ : nullptr;
}
std::string SampleEntry::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}
uint64_t SampleEntry::generation() const {
  std::lock_guard lock(mutex_);
  return generation_;
}

std::shared_ptr<const DigestTable> SampleEntry::digests() const {
  std::lock_guard lock(mutex_);
  return status_ == IndexStatus::ready ? digests_ : nullptr;
}

void SampleEntry::set_digests(std::shared_ptr<const DigestTable> table, uint64_t generation) {
  std::lock_guard lock(mutex_);
  if (generation == generation_) digests_ = std::move(table);
}

std::shared_ptr<const Annotation> SampleEntry::annotation() const {
  if (annotation_path.empty()) return nullptr;
  {
    std::lock_guard lock(mutex_);
    if (annotation_loaded_) return annotation_;
  }
  // Parsed outside the lock: two first requests may both parse; one result is kept.
  auto a = std::make_shared<const Annotation>(load_gff(annotation_path, annotation_key));
  std::lock_guard lock(mutex_);
  if (!annotation_loaded_) {
    annotation_ = std::move(a);
    annotation_loaded_ = true;
  }
  return annotation_;
}

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  size_t i = 0;
  for (;;) {
    size_t t = line.find('\t', i);
    out.push_back(line.substr(i, t == std::string::npos ? std::string::npos : t - i));
    if (t == std::string::npos) break;
    i = t + 1;
  }
  return out;
}

/// Lines of a side table, without the header, blank lines and '#' comments.
std::vector<std::pair<uint64_t, std::vector<std::string>>> read_table(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::pair<uint64_t, std::vector<std::string>>> rows;
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (n == 1 || line.empty() || line[0] == '#') continue;
    rows.emplace_back(n, split_tabs(line));
  }
  return rows;
}

bool inside(const std::string& root, const std::string& path) {
  return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                          path[root.size()] == '/');
}

/// True when the file's text starts with '>' (after blanks), read through gzip if need be.
bool looks_like_fasta(const fs::path& p) {
  gzFile f = gzopen(p.c_str(), "rb");
  if (!f) return false;
  char buf[4096];
  int got = gzread(f, buf, sizeof buf);
  gzclose(f);
  for (int i = 0; i < got; ++i) {
    char c = buf[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '>';
  }
  return false;
}

bool is_annotation_name(const std::string& name) {
  auto ends = [&](std::string_view s) { return name.size() >= s.size() && name.ends_with(s); };
  return ends(".gff3") || ends(".gff") || ends(".gff3.gz") || ends(".gff.gz");
}

}  // namespace

std::string lexical_key_problem(std::string_view key, std::string_view what) {
  std::string shown(key.substr(0, 200));
  if (key.empty()) return std::string(what) + " is empty";
  // An absolute path is not echoed: errors name no path outside the catalog.
  if (key.front() == '/') return std::string(what) + " is an absolute path; give it relative to the catalog";
  for (unsigned char c : key)
    if (c < 0x20 || c == 0x7f || c == '\\')
      return std::string(what) + " holds a control byte or a backslash";
  size_t i = 0;
  while (i <= key.size()) {
    size_t j = key.find('/', i);
    if (j == std::string_view::npos) j = key.size();
    if (key.substr(i, j - i) == "..") return std::string(what) + " '" + shown + "' holds '..'";
    i = j + 1;
  }
  return "";
}

std::string Catalog::key_problem(std::string_view key) const {
  std::string p = lexical_key_problem(key, "storage key");
  if (!p.empty()) return p;
  std::error_code ec;
  fs::path resolved = fs::weakly_canonical(fs::path(root_) / std::string(key), ec);
  if (ec || !inside(root_, resolved.string()))
    return "storage key '" + std::string(key.substr(0, 200)) + "' leads outside the catalog";
  return "";
}

std::unique_ptr<Catalog> Catalog::load(const std::string& root_arg, const CatalogOptions& opt) {
  std::unique_ptr<Catalog> c(new Catalog());
  c->opt_ = opt;
  c->given_root_ = root_arg;
  std::error_code ec;
  fs::path root = fs::canonical(root_arg, ec);
  if (ec || !fs::is_directory(root))
    throw CatalogError("catalog folder '" + root_arg + "' is not a readable directory");
  c->root_ = root.string();

  auto add = [&](std::unique_ptr<SampleEntry> e, const std::string& where) {
    if (auto it = c->by_id_.find(e->sample_id); it != c->by_id_.end())
      throw CatalogError("sample id '" + e->sample_id + "' is given twice: " + it->second->storage_key +
                         " and " + e->storage_key + " (" + where + ")" +
                         (c->discovered_ ? "; write a catalog.tsv naming each sample" : ""));
    c->by_id_[e->sample_id] = e.get();
    c->by_key_[e->storage_key] = e.get();
    c->samples_.push_back(std::move(e));
  };
  // Resolves a catalog path and checks it stays inside ROOT (a symlink may not lead out).
  auto resolve = [&](const std::string& key, const std::string& where, std::string& abs) {
    std::string p = lexical_key_problem(key, "path");
    if (!p.empty()) throw CatalogError(where + ": " + p);
    std::error_code e2;
    fs::path r = fs::weakly_canonical(root / key, e2);
    if (e2 || !inside(c->root_, r.string()))
      throw CatalogError(where + ": path '" + key + "' leads outside the catalog folder");
    abs = r.string();
  };

  fs::path table = root / "catalog.tsv";
  if (fs::exists(table)) {
    std::ifstream in(table);
    std::string line;
    uint64_t n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.empty() || line[0] == '#') continue;
      auto cols = split_tabs(line);
      if (n == 1 && cols[0] == "sample_id") continue;
      std::string where = "catalog.tsv line " + std::to_string(n);
      if (cols.size() < 2 || cols.size() > 3 || cols[0].empty() || cols[1].empty())
        throw CatalogError(where + ": expected 'sample_id<TAB>path<TAB>annotation', found " +
                           std::to_string(cols.size()) + " column(s)");
      auto e = std::make_unique<SampleEntry>();
      e->sample_id = cols[0];
      if (std::string p = lexical_key_problem(e->sample_id, "sample id");
          !p.empty() || e->sample_id.find('/') != std::string::npos)
        throw CatalogError(where + ": " + (p.empty() ? "sample id holds '/'" : p));
      e->storage_key = cols[1];
      resolve(cols[1], where, e->path);
      if (cols.size() == 3 && !cols[2].empty()) {
        e->annotation_key = cols[2];
        resolve(cols[2], where, e->annotation_path);
      }
      add(std::move(e), where);
    }
  } else {
    c->discovered_ = true;
    std::vector<fs::path> files;
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      std::error_code e2;
      if (!it->is_regular_file(e2)) continue;
      files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::string name = f.filename().string();
      if (is_annotation_name(name)) continue;
      std::error_code e2;
      fs::path r = fs::canonical(f, e2);
      if (e2 || !inside(c->root_, r.string())) continue;  // a symlink leading out: not ours
      if (!looks_like_fasta(r)) continue;
      auto e = std::make_unique<SampleEntry>();
      e->sample_id = name.substr(0, name.find('.'));
      if (e->sample_id.empty()) continue;
      e->storage_key = fs::relative(f, root).generic_string();
      e->path = r.string();
      // SAMPLE_ID.gff3, SAMPLE_ID.gff, SAMPLE_ID.<anything>.gff3|gff, optionally .gz.
      std::vector<fs::path> annots;
      for (const auto& g : files)
        if (g.parent_path() == f.parent_path()) {
          std::string gn = g.filename().string();
          if (is_annotation_name(gn) && gn.compare(0, e->sample_id.size() + 1, e->sample_id + ".") == 0)
            annots.push_back(g);
        }
      if (!annots.empty()) {
        e->annotation_key = fs::relative(annots.front(), root).generic_string();
        std::string abs;
        resolve(e->annotation_key, "annotation of " + e->sample_id, abs);
        e->annotation_path = abs;
      }
      add(std::move(e), "found by discovery");
    }
  }

  for (auto& e : c->samples_) {
    try {
      e->compression = detect_compression(e->path);
    } catch (const Error& err) {
      std::lock_guard lock(e->mutex_);
      e->status_ = IndexStatus::failed;
      e->error_ = c->scrub(err.what());
      // Said at startup like an indexing failure: otherwise only /healthz would tell.
      if (c->opt_.log) std::fprintf(stderr, "ofq serve: %s failed: %s\n", e->sample_id.c_str(), e->error_.c_str());
    }
  }

  if (fs::exists(root / "topology.tsv"))
    for (auto& [n, cols] : read_table(root / "topology.tsv")) {
      if (cols.size() < 3 || (cols[2] != "circular" && cols[2] != "linear"))
        throw CatalogError("topology.tsv line " + std::to_string(n) +
                           ": expected 'sample_id<TAB>sequence_id<TAB>circular|linear'");
      if (auto* e = c->find(cols[0])) e->topology[cols[1]] = cols[2];
    }
  if (fs::exists(root / "aliases.tsv"))
    for (auto& [n, cols] : read_table(root / "aliases.tsv")) {
      if (cols.size() < 3)
        throw CatalogError("aliases.tsv line " + std::to_string(n) +
                           ": expected 'alias<TAB>sample_id<TAB>sequence_id'");
      c->aliases_.push_back(Alias{cols[0], cols[1], cols[2]});
    }
  return c;
}

Catalog::~Catalog() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

SampleEntry* Catalog::find(std::string_view sample_id) const {
  auto it = by_id_.find(std::string(sample_id));
  return it == by_id_.end() ? nullptr : it->second;
}

SampleEntry* Catalog::find_by_key(std::string_view key) const {
  auto it = by_key_.find(std::string(key));
  return it == by_key_.end() ? nullptr : it->second;
}

std::string Catalog::scrub(std::string_view message) const {
  std::string m(message);
  auto cut = [&m](const std::string& prefix, const std::string& with) {
    if (prefix.empty()) return;
    for (size_t p; (p = m.find(prefix)) != std::string::npos;) m.replace(p, prefix.size(), with);
  };
  cut(root_ + "/", "");
  if (!given_root_.empty() && given_root_ != "/")
    cut(given_root_.back() == '/' ? given_root_ : given_root_ + "/", "");
  if (!opt_.index_dir.empty()) {
    std::error_code ec;
    std::string d = fs::weakly_canonical(opt_.index_dir, ec).string();
    cut(d + "/", "<index-dir>/");
    cut(opt_.index_dir + "/", "<index-dir>/");
  }
  // Whatever absolute path is left (a cache folder, /tmp ...) is not the caller's business.
  static const std::regex abs_path(R"((^|[\s'"(=:])/[^\s'"),;]+)");
  return std::regex_replace(m, abs_path, "$1<path>");
}

void Catalog::start_indexing() {
  std::lock_guard lock(queue_mutex_);
  for (auto& e : samples_)
    if (e->status() == IndexStatus::building) queue_.push_back(e.get());
  unsigned n = std::max(1u, opt_.index_threads);
  for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { index_loop(); });
}

void Catalog::recheck(SampleEntry& e) {
  {
    std::lock_guard lock(e.mutex_);
    if (e.status_ == IndexStatus::building) return;  // already queued
    e.status_ = IndexStatus::building;
    e.full_check_ = true;  // the fingerprint matched a changed file: read every byte
    e.sample_.reset();
  }
  {
    std::lock_guard lock(queue_mutex_);
    queue_.push_back(&e);
  }
  queue_cv_.notify_one();
}

bool Catalog::wait_until_indexed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  return idle_cv_.wait_for(lock, timeout, [this] { return queue_.empty() && busy_ == 0; });
}

void Catalog::index_loop() {
  for (;;) {
    SampleEntry* e = nullptr;
    {
      std::unique_lock lock(queue_mutex_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      e = queue_.front();
      queue_.pop_front();
      ++busy_;
    }
    open_one(*e);
    {
      std::lock_guard lock(queue_mutex_);
      --busy_;
    }
    idle_cv_.notify_all();
  }
}

void Catalog::open_one(SampleEntry& e) {
  IndexOptions io;
  io.index_dir = opt_.index_dir;
  {
    std::lock_guard lock(e.mutex_);
    io.full_check = e.full_check_;
    e.full_check_ = false;
  }
  io.build = true;
  std::shared_ptr<const Sample> s;
  std::string err;
  auto t0 = std::chrono::steady_clock::now();
  try {
    // e.compression stays as detected at load: handlers read it without a lock.
    s = Sample::open(e.path, io);
  } catch (const std::exception& x) {
    err = scrub(x.what());
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  {
    std::lock_guard lock(e.mutex_);
    ++e.generation_;
    e.digests_.reset();
    if (s) {
      e.sample_ = s;
      e.status_ = IndexStatus::ready;
      e.error_.clear();
    } else {
      e.status_ = IndexStatus::failed;
      e.error_ = err;
    }
  }
  if (opt_.log) {
    if (err.empty())
      std::fprintf(stderr, "ofq serve: %s ready (%.0f ms)\n", e.sample_id.c_str(), ms);
    else
      std::fprintf(stderr, "ofq serve: %s failed: %s\n", e.sample_id.c_str(), err.c_str());
  }
  // Digests (refget, /v1 records) come after, on their own thread: DigestCatalog
  // (digest_catalog.cpp) hashes each ready sample and publishes them with set_digests().
  // Parse the annotation now too, so that the first gene request does not pay for it.
  if (err.empty() && !e.annotation_path.empty()) {
    try {
      (void)e.annotation();
    } catch (const std::exception& x) {
      if (opt_.log)
        std::fprintf(stderr, "ofq serve: %s annotation: %s\n", e.sample_id.c_str(), scrub(x.what()).c_str());
    }
  }
}

}  // namespace ofq::server
