// The catalog-wide digest lookup: any refget id (md5, ga4gh, TRUNC512, with or without its
// prefix) or namespaced alias (aliases.tsv) -> (sample, record), one hash-table probe.
//
// Digests are computed in the background, one sample at a time as each becomes ready, with
// the engine's two-thread pass (ofq/digest.hpp), reusing a sample's FILE.ofqi.digests when
// present. While a pass runs, an id not found yet answers `pending` (refget: 503 with
// Retry-After), because it may belong to a record not hashed yet; once every sample is done
// it is `unknown` (404). An id held by several samples with the same bases is one sequence:
// it resolves to its first holder in catalog order, and its aliases are merged.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ofq/digest.hpp"
#include "ofq/sample.hpp"

namespace ofq::server {

class Catalog;
class SampleEntry;

struct RefgetAlias {
  std::string alias;      ///< as written in aliases.tsv: "insdc:BK006935.2"
  std::string authority;  ///< "insdc"
  std::string accession;  ///< "BK006935.2"
};

/// What a lookup found.
struct SequenceRef {
  std::string sample_id;
  std::shared_ptr<const Sample> sample;
  RecordId record = 0;
  uint64_t length = 0;
  bool circular = false;
  SequenceDigest digest;
  std::vector<RefgetAlias> aliases;  ///< of every holder of these bases
};

struct DigestLookup {
  enum class Status {
    found,
    unknown,     ///< 404
    pending,     ///< 503: not hashed yet
    not_served,  ///< 404: the record holds '-', '.' or '*'
  };
  Status status = Status::unknown;
  std::string message;  ///< for everything but found: one sentence saying why
  SequenceRef ref;
};

struct DigestCatalogOptions {
  bool write_sidecars = true;  ///< keep FILE.ofqi.digests beside each index
  unsigned threads = 2;
  bool log = true;             ///< progress lines on stderr
};

class DigestCatalog {
public:
  /// Over a server's catalog: its samples, their topology.tsv entries and aliases.tsv.
  explicit DigestCatalog(const Catalog& catalog, DigestCatalogOptions opt = {});
  /// Without a catalog (tests, tools): samples are added with add_sample().
  explicit DigestCatalog(DigestCatalogOptions opt = {});
  ~DigestCatalog();
  DigestCatalog(const DigestCatalog&) = delete;
  DigestCatalog& operator=(const DigestCatalog&) = delete;

  /// Adds a ready sample and hashes it now, in the calling thread (before start()).
  /// `circular`: sequence ids whose topology is circular.
  void add_sample(std::string sample_id, std::shared_ptr<const Sample> sample,
                  std::unordered_set<std::string> circular = {});
  /// Adds an alias (`namespace:accession`) of a sequence of a sample added before or later.
  void add_alias(std::string alias, std::string sample_id, std::string sequence_id);

  /// Starts the background pass over the catalog's samples.
  void start();
  /// Stops it (the passes keep their .partial files and resume at the next start).
  void stop();

  [[nodiscard]] DigestLookup find(std::string_view id_text) const;
  [[nodiscard]] DigestLookup find(const RefgetId& id) const;

  /// The digest of one record of a sample, for /v1 listings: nullopt while not hashed
  /// (or unknown sample); state not_served for records holding gap symbols.
  [[nodiscard]] std::optional<RecordDigest> digest_of(std::string_view sample_id,
                                                      RecordId record) const;
  /// True when every sample that could be hashed has been.
  [[nodiscard]] bool complete() const;
  /// Bases hashed and to hash over the catalog so far (samples not ready yet excluded).
  [[nodiscard]] std::pair<uint64_t, uint64_t> progress() const;
  /// Namespaces of the alias table ("insdc" ...), sorted: service-info's identifier_types.
  [[nodiscard]] std::vector<std::string> identifier_types() const;

  struct Member;

private:
  void run();
  void hash_member(Member& m, const std::shared_ptr<const Sample>& sample);
  void on_record(uint32_t member, RecordId r, const RecordDigest& d);
  [[nodiscard]] DigestLookup resolve(uint32_t member, RecordId r, const std::string& what) const;
  [[nodiscard]] DigestLookup not_found(const std::string& what) const;

  struct Key16Hash {
    size_t operator()(const Md5Bytes& k) const noexcept;
  };
  struct Key24Hash {
    size_t operator()(const Sha512t24Bytes& k) const noexcept;
  };
  struct Loc {
    uint32_t member = 0;
    RecordId record = 0;
  };

  const Catalog* catalog_ = nullptr;
  DigestCatalogOptions opt_;
  std::vector<std::unique_ptr<Member>> members_;
  std::unordered_map<std::string, uint32_t> member_by_id_;
  struct AliasTarget {
    RefgetAlias alias;
    std::string sample_id, sequence_id;
  };
  std::unordered_map<std::string, AliasTarget> aliases_;

  mutable std::shared_mutex mutex_;
  std::unordered_map<Md5Bytes, Loc, Key16Hash> by_md5_;
  std::unordered_map<Sha512t24Bytes, Loc, Key24Hash> by_sha_;
  std::unordered_map<Sha512t24Bytes, std::vector<RefgetAlias>, Key24Hash> aliases_by_sha_;

  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ofq::server
