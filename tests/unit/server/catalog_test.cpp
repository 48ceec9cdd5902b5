// Catalog loading and the safety of keys (src/server/catalog.cpp).
#include "ofq/server/catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace ofq::server {
namespace {

class CatalogTest : public ::testing::Test {
protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("ofq_catalog_test_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root / "s");
    fs::create_directories(root.string() + "_outside");
    std::ofstream(root / "s" / "A.fa") << ">r\nACGT\n";
    std::ofstream(root.string() + "_outside/B.fa") << ">r\nACGT\n";
    fs::create_directory_symlink(root.string() + "_outside", root / "out");
  }
  void TearDown() override {
    fs::remove_all(root);
    fs::remove_all(root.string() + "_outside");
  }
  fs::path root;
};

TEST_F(CatalogTest, DiscoverySkipsSymlinksLeavingRoot) {
  auto c = Catalog::load(root.string(), CatalogOptions{"", 1, false});
  ASSERT_EQ(c->samples().size(), 1u);
  EXPECT_EQ(c->samples()[0]->sample_id, "A");
  EXPECT_EQ(c->samples()[0]->storage_key, "s/A.fa");
}

TEST_F(CatalogTest, KeyProblems) {
  auto c = Catalog::load(root.string(), CatalogOptions{"", 1, false});
  EXPECT_EQ(c->key_problem("s/A.fa"), "");
  EXPECT_EQ(c->key_problem("s/missing.fa"), "");  // unknown, not unsafe: a 404
  EXPECT_EQ(c->key_problem("../x"), "storage key '../x' holds '..'");
  EXPECT_EQ(c->key_problem("s/../../x"), "storage key 's/../../x' holds '..'");
  EXPECT_EQ(c->key_problem("/etc/passwd"), "storage key is an absolute path; give it relative to the catalog");
  EXPECT_EQ(c->key_problem("out/B.fa"), "storage key 'out/B.fa' leads outside the catalog");
  EXPECT_EQ(c->key_problem(""), "storage key is empty");
  EXPECT_EQ(c->key_problem(std::string("a\0b", 3)), "storage key holds a control byte or a backslash");
}

TEST_F(CatalogTest, CatalogTsvRefusesPathsLeavingRoot) {
  std::ofstream(root / "catalog.tsv") << "sample_id\tpath\tannotation\nB\tout/B.fa\t\n";
  try {
    (void)Catalog::load(root.string(), CatalogOptions{"", 1, false});
    FAIL();
  } catch (const CatalogError& e) {
    EXPECT_STREQ(e.what(), "catalog.tsv line 2: path 'out/B.fa' leads outside the catalog folder");
  }
  std::ofstream(root / "catalog.tsv") << "sample_id\tpath\tannotation\nA\ts/A.fa\t\nA\ts/A.fa\t\n";
  try {
    (void)Catalog::load(root.string(), CatalogOptions{"", 1, false});
    FAIL();
  } catch (const CatalogError& e) {
    EXPECT_STREQ(e.what(), "sample id 'A' is given twice: s/A.fa and s/A.fa (catalog.tsv line 3)");
  }
}

TEST_F(CatalogTest, ScrubRemovesPathsOutsideTheCatalog) {
  auto c = Catalog::load(root.string(), CatalogOptions{"/var/idx", 1, false});
  EXPECT_EQ(c->scrub("cannot read " + (root / "s/A.fa").string() + ": short read"),
            "cannot read s/A.fa: short read");
  EXPECT_EQ(c->scrub("index /var/idx/x.ofqi is damaged"), "index <index-dir>/x.ofqi is damaged");
  EXPECT_EQ(c->scrub("open '/home/u/.cache/ofq/ab.ofqi' failed"), "open '<path>' failed");
  EXPECT_EQ(c->scrub("rows 1/2 done"), "rows 1/2 done");
}

}  // namespace
}  // namespace ofq::server
