// The configuration file reader: values for options of each shape,
// interfaces with their filters, and every kind of mistake reported with
// its file, line and column.
#include "config/config_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace kagami::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::vector<OptionSpec> kOptions = {
    {"workers", OptionShape::kScalar},  {"eve", OptionShape::kScalar},
    {"rules", OptionShape::kList},      {"var", OptionShape::kList},
    {"quiet", OptionShape::kFlag},      {"stats-interval", OptionShape::kScalar},
    {"flow-memcap", OptionShape::kScalar},
};

ConfigFile Parse(std::string_view text) { return ParseConfig(text, "k.yaml", kOptions); }

std::vector<std::string> Errors(std::string_view text) {
  std::vector<std::string> out;
  for (const ConfigError& e : Parse(text).errors) out.push_back(e.text);
  return out;
}

TEST(ConfigFileTest, ReadsEveryShapeOfOption) {
  const ConfigFile c = Parse(
      "# a sensor\n"
      "workers: 4\n"
      "rules: [/etc/kagami/a.rules, /etc/kagami/b.rules]\n"
      "var:\n"
      "  HOME_NET: \"[10.0.0.0/8]\"\n"
      "  EXTERNAL_NET: \"!$HOME_NET\"\n"
      "quiet: yes\n"
      "eve: /var/log/kagami/eve.json\n");
  ASSERT_TRUE(c.ok()) << c.errors.front().text;
  ASSERT_EQ(c.options.size(), 5u);
  EXPECT_EQ(c.options[0].name, "workers");
  EXPECT_THAT(c.options[0].values, ElementsAre("4"));
  EXPECT_EQ(c.options[0].at.line, 2);
  EXPECT_EQ(c.options[0].at.column, 10);
  EXPECT_THAT(c.options[1].values, ElementsAre("/etc/kagami/a.rules", "/etc/kagami/b.rules"));
  EXPECT_THAT(c.options[2].values, ElementsAre("HOME_NET=[10.0.0.0/8]", "EXTERNAL_NET=!$HOME_NET"));
  EXPECT_THAT(c.options[3].values, ElementsAre("true"));
  EXPECT_FALSE(c.has_interfaces);
}

TEST(ConfigFileTest, OneScalarServesARepeatableOption) {
  const ConfigFile c = Parse("rules: /etc/kagami/a.rules\n");
  ASSERT_TRUE(c.ok());
  EXPECT_THAT(c.options[0].values, ElementsAre("/etc/kagami/a.rules"));
}

TEST(ConfigFileTest, InterfacesByNameOrWithAFilter) {
  const ConfigFile c = Parse(
      "interfaces:\n"
      "  - eth1\n"
      "  - name: eth2\n"
      "    bpf: not port 22\n");
  ASSERT_TRUE(c.ok()) << c.errors.front().text;
  ASSERT_TRUE(c.has_interfaces);
  ASSERT_EQ(c.interfaces.size(), 2u);
  EXPECT_EQ(c.interfaces[0].name, "eth1");
  EXPECT_EQ(c.interfaces[0].bpf, "");
  EXPECT_EQ(c.interfaces[1].name, "eth2");
  EXPECT_EQ(c.interfaces[1].bpf, "not port 22");
  EXPECT_EQ(c.interfaces[1].at.line, 3);
  EXPECT_THAT(Parse("interfaces: eth3\n").interfaces.front().name, "eth3");
}

TEST(ConfigFileTest, AnEmptyFileSetsNothing) {
  EXPECT_TRUE(Parse("").ok());
  EXPECT_TRUE(Parse("# only a comment\n").ok());
  EXPECT_TRUE(Parse("").options.empty());
}

TEST(ConfigFileTest, EveryMistakeIsReportedWithItsPosition) {
  const std::vector<std::string> errors = Errors(
      "workers: [1, 2]\n"         // a list for a scalar
      "flow-memcapp: 1gb\n"       // unknown, close to a known key
      "quiet: maybe\n"            // not a boolean
      "var:\n"
      "  HOME_NET: [10.0.0.0/8]\n"  // an unquoted Suricata list
      "eve: {path: x}\n"          // a map for a scalar
      "workers: 3\n"              // twice
      "interfaces:\n"
      "  - {name: eth1, filter: x}\n"  // unknown interface key
      "  - bpf: udp\n");               // no name
  EXPECT_THAT(errors, ElementsAre("k.yaml:1:10: 'workers': expected a value, got a list (quote lists meant as one "
                                    "value: \"[10.0.0.0/8]\")",
                                    "k.yaml:2:1: unknown key 'flow-memcapp' (did you mean 'flow-memcap'?)",
                                    "k.yaml:3:8: 'quiet': expected true or false, got 'maybe'",
                                    "k.yaml:5:13: 'HOME_NET': expected a value, got a list (quote lists meant as one "
                                    "value: \"[10.0.0.0/8]\")",
                                    "k.yaml:6:6: 'eve': expected a value, got a map",
                                    "k.yaml:7:1: 'workers' is given twice",
                                    "k.yaml:9:18: interfaces: unknown key 'filter' (an interface has 'name' and 'bpf')",
                                    "k.yaml:10:5: interfaces: an entry without a 'name'"));
}

TEST(ConfigFileTest, SyntaxErrorsHaveAPositionToo) {
  const std::vector<std::string> errors = Errors("workers: 4\nrules: [a, b\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("k.yaml:"));
  EXPECT_THAT(errors[0], HasSubstr("end of sequence"));
  const std::vector<std::string> tab = Errors("workers: 4\n\teve: x\n");
  ASSERT_FALSE(tab.empty());
  EXPECT_THAT(tab[0], HasSubstr("k.yaml:2:"));
}

// Found by config_file_fuzz: a tagged empty scalar is no interface name.
TEST(ConfigFileTest, AnEmptyInterfaceNameIsAnError) {
  EXPECT_THAT(Errors("interfaces:\n !-\nq on4\n"),
              ElementsAre("k.yaml:2:2: interfaces: an entry without a 'name'", "k.yaml:3:1: unknown key 'q on4'"));
  EXPECT_THAT(Errors("interfaces: [\"\"]\n"), ElementsAre("k.yaml:1:14: interfaces: an entry without a 'name'"));
}

TEST(ConfigFileTest, TheTopLevelMustBeAMap) {
  EXPECT_THAT(Errors("- workers\n"),
              ElementsAre("k.yaml:1:1: expected a map of option names to values, got a list"));
  EXPECT_THAT(Errors("just text\n"),
              ElementsAre("k.yaml:1:1: expected a map of option names to values, got a value"));
}

TEST(ConfigFileTest, EmptyValuesAndListsAreErrors) {
  EXPECT_THAT(Errors("eve:\n"), ElementsAre("k.yaml:1:1: 'eve': expected a value, got nothing"));
  EXPECT_THAT(Errors("rules: []\n"), ElementsAre("k.yaml:1:8: 'rules': the list is empty"));
  EXPECT_THAT(Errors("interfaces: []\n"), ElementsAre("k.yaml:1:13: interfaces: the list is empty"));
}

TEST(ConfigFileTest, HugeOrDeeplyNestedInputIsRefusedNotFatal) {
  EXPECT_THAT(Errors(std::string(2 << 20, '#')).front(), HasSubstr("a configuration is at most"));
  const std::string deep = "rules: " + std::string(100000, '[') + std::string(100000, ']') + "\n";
  EXPECT_FALSE(Parse(deep).ok());
}

}  // namespace
}  // namespace kagami::config
