// The catalog: which samples a server serves (API.md, "The catalog"), the state of each
// sample's index, and the rules that keep every storage key and sample id inside ROOT.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "ofq/byte_source.hpp"
#include "ofq/digest.hpp"
#include "ofq/sample.hpp"
#include "ofq/server/annotation.hpp"

namespace ofq::server {

/// A catalog that cannot be served (bad catalog.tsv line, duplicate sample ids, a path
/// leaving ROOT): the message names the file and line and says how to fix it.
class CatalogError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

enum class IndexStatus { building, ready, failed };
[[nodiscard]] const char* to_string(IndexStatus s) noexcept;  ///< "building", "ready", "failed"

class SampleEntry {
public:
  std::string sample_id;
  std::string storage_key;      ///< path relative to ROOT, '/' separated
  std::string path;             ///< absolute path of the FASTA file (never shown)
  std::string annotation_key;   ///< relative to ROOT; empty when none
  std::string annotation_path;  ///< absolute
  std::optional<Compression> compression;  ///< detected at load; empty if unreadable
  std::unordered_map<std::string, std::string> topology;  ///< sequence_id -> circular/linear

  [[nodiscard]] IndexStatus status() const;
  [[nodiscard]] std::shared_ptr<const Sample> sample() const;  ///< null unless ready
  [[nodiscard]] std::string error() const;                     ///< why it failed (scrubbed)
  [[nodiscard]] uint64_t generation() const;  ///< bumped at every (re)index

  /// The parsed annotation, loaded on first use and kept; null when the sample has none.
  /// Throws ofq::Error (messages name annotation_key only).
  [[nodiscard]] std::shared_ptr<const Annotation> annotation() const;

  /// The refget digests of the records, once the background pass has them (null before,
  /// and for a sample that is not ready).
  [[nodiscard]] std::shared_ptr<const DigestTable> digests() const;
  /// Publishes the digests of generation `generation` (DigestCatalog's background pass);
  /// ignored when the sample was re-indexed since.
  void set_digests(std::shared_ptr<const DigestTable> table, uint64_t generation);

private:
  friend class Catalog;
  mutable std::mutex mutex_;
  IndexStatus status_ = IndexStatus::building;
  bool full_check_ = false;  ///< set by recheck(): the sampled fingerprint missed a change
  std::shared_ptr<const Sample> sample_;
  std::string error_;
  uint64_t generation_ = 0;
  std::shared_ptr<const DigestTable> digests_;
  mutable std::shared_ptr<const Annotation> annotation_;
  mutable bool annotation_loaded_ = false;
};

struct Alias {
  std::string alias, sample_id, sequence_id;
};

struct CatalogOptions {
  std::string index_dir;       ///< --index-dir; empty: the engine's rules (SEMANTICS.md)
  unsigned index_threads = 1;  ///< samples indexed at once in the background
  bool log = true;             ///< progress lines on stderr
};

class Catalog {
public:
  /// Reads ROOT/catalog.tsv, or discovers the FASTA files under ROOT, and the side tables.
  /// Opens nothing but the first bytes of each file. Throws CatalogError.
  [[nodiscard]] static std::unique_ptr<Catalog> load(const std::string& root,
                                                     const CatalogOptions& opt = {});
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  /// Starts the background threads that open (and if needed index) every sample.
  void start_indexing();
  /// Blocks until no sample is building (tests, `--wait`); false on timeout.
  bool wait_until_indexed(std::chrono::milliseconds timeout);
  /// Marks a sample as building again and re-opens it (its file changed under us).
  void recheck(SampleEntry& e);

  [[nodiscard]] const std::vector<std::unique_ptr<SampleEntry>>& samples() const noexcept {
    return samples_;
  }
  [[nodiscard]] SampleEntry* find(std::string_view sample_id) const;
  [[nodiscard]] SampleEntry* find_by_key(std::string_view storage_key) const;
  [[nodiscard]] const std::vector<Alias>& aliases() const noexcept { return aliases_; }
  [[nodiscard]] const std::string& root() const noexcept { return root_; }
  [[nodiscard]] bool discovered() const noexcept { return discovered_; }

  /// Rewrites a message so that it names no path outside the catalog: ROOT's prefix is cut
  /// (paths become storage keys), index and cache folders become "<index-dir>", any other
  /// absolute path "<path>".
  [[nodiscard]] std::string scrub(std::string_view message) const;

  /// Refusal reason for a storage key, "" when acceptable: empty, absolute, holding "..",
  /// a backslash or a control byte, or resolving (through symlinks) outside ROOT.
  [[nodiscard]] std::string key_problem(std::string_view key) const;

private:
  Catalog() = default;
  void index_loop();
  void open_one(SampleEntry& e);

  std::string root_;       ///< canonical absolute path, no trailing '/'
  std::string given_root_; ///< as the user wrote it
  CatalogOptions opt_;
  bool discovered_ = false;
  std::vector<std::unique_ptr<SampleEntry>> samples_;
  std::unordered_map<std::string, SampleEntry*> by_id_, by_key_;
  std::vector<Alias> aliases_;

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_, idle_cv_;
  std::deque<SampleEntry*> queue_;
  unsigned busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

/// Lexical half of Catalog::key_problem (no filesystem access): for sample ids too.
[[nodiscard]] std::string lexical_key_problem(std::string_view key, std::string_view what);

}  // namespace ofq::server
