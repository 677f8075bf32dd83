#include "cli_run.hpp"

#include <unistd.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "core/files.hpp"
#include "core/json_doc.hpp"
#include "exit_codes.hpp"
#include "report/render.hpp"
#include "report_files.hpp"
#include "runner.hpp"
#include "scenario.hpp"

namespace mh::cli {
namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

struct run_args {
  std::vector<std::string> paths;
  std::string target = "embedded";
  std::vector<std::string> tags, ids;
  std::string out = "reports";
  std::string state_dir;
  std::string shard;
  bool list = false;
  bool quiet = false;
  std::vector<std::string> vars;
};

std::vector<scenario> select(const run_args& a) {
  std::vector<scenario> all;
  if (a.paths.empty()) {
    all = default_suite();
  } else {
    for (const auto& p : a.paths) {
      auto v = load_scenario_path(p);
      all.insert(all.end(), std::make_move_iterator(v.begin()), std::make_move_iterator(v.end()));
    }
  }
  std::map<std::string, std::string> seen;
  for (const auto& s : all) {
    auto [it, fresh] = seen.emplace(s.id, s.file);
    if (!fresh) throw config_error(s.file, 0, 0, "/id", "scenario id \"" + s.id + "\" is also used in " + it->second);
  }
  std::vector<scenario> out;
  for (auto& s : all) {
    bool tag_ok = a.tags.empty() || std::any_of(a.tags.begin(), a.tags.end(), [&](const std::string& t) {
                    return std::find(s.tags.begin(), s.tags.end(), t) != s.tags.end();
                  });
    bool id_ok = a.ids.empty() ||
                 std::any_of(a.ids.begin(), a.ids.end(), [&](const std::string& g) { return glob_match(g, s.id); });
    if (tag_ok && id_ok) out.push_back(std::move(s));
  }
  return out;
}

int exit_for_report(const nlohmann::json& report) {
  const auto& s = report.at("summary");
  if (s.value("failed", 0) > 0) return exit_fail;
  if (s.value("errors", 0) > 0) return exit_unreachable;
  if (report.value("interrupted", false)) return exit_fail;
  return exit_pass;
}

int run(const run_args& a) {
  auto suite = select(a);
  auto shard = parse_shard(a.shard);
  if (shard) {  // the same split as run_suite: scenario i goes to shard (i mod N) + 1
    std::vector<scenario> mine;
    for (std::size_t i = 0; i < suite.size(); ++i)
      if (static_cast<int>(i % static_cast<std::size_t>(shard->second)) == shard->first - 1)
        mine.push_back(std::move(suite[i]));
    suite = std::move(mine);
  }
  if (a.list) {
    for (const auto& s : suite) {
      std::cout << s.id << "  " << s.title << "  [";
      for (std::size_t i = 0; i < s.tags.size(); ++i) std::cout << (i ? "," : "") << s.tags[i];
      std::cout << "]  " << s.file << "\n";
    }
    return exit_pass;
  }
  if (suite.empty()) {
    std::cerr << "mailharness run: no scenario matches the filters\n";
    return exit_usage;
  }
  run_options o;
  o.target = a.target;
  o.state_dir = a.state_dir.empty() ? default_state_dir("run") : a.state_dir;
  o.shard = shard;
  o.shard_applied = true;
  o.stop = &g_stop;
  for (const auto& v : a.vars) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) throw CLI::ValidationError("--var", "expected name=value, not \"" + v + "\"");
    o.vars[v.substr(0, eq)] = v.substr(eq + 1);
  }
  bool tty = ::isatty(STDERR_FILENO);
  auto t0 = std::chrono::steady_clock::now();
  if (!a.quiet)
    o.on_progress = [tty, t0](const run_progress& p) {
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      double rate = el > 0 ? p.done / el : 0;
      double eta = rate > 0 ? (p.total - p.done) / rate : 0;
      char line[256];
      std::snprintf(line, sizeof line, "[%zu/%zu] %.1f/s, %zu failed, ETA %.0f s  %s", p.done, p.total, rate, p.failed,
                    eta, p.current.c_str());
      if (tty) std::cerr << "\r\033[K" << line << std::flush;
      else std::cerr << line << "\n";
    };
  std::signal(SIGINT, on_sigint);
  auto report = run_suite(suite, o);
  std::signal(SIGINT, SIG_DFL);
  if (tty && !a.quiet) std::cerr << "\r\033[K";
  console_options co;
  co.color = ::isatty(STDOUT_FILENO);
  std::cout << render_console(report, co) << std::flush;  // the result survives a failed write
  write_report_set(report, a.out);
  std::cout << "reports: " << a.out << "/report.json, junit.xml, report.html, report.md\n";
  return exit_for_report(report);
}

nlohmann::json read_report(const std::string& path) {
  std::string why;
  auto text = read_file_bounded(path, 256 << 20, &why);
  if (!text) throw config_error(path, 0, 0, "", why);
  nlohmann::json j = json_doc(*text, path).root();
  try {
    check_report(j);
  } catch (const report_error& e) {
    throw config_error(path, 0, 0, "", e.what());
  }
  return j;
}

}  // namespace

std::string default_state_dir(const std::string& leaf) {
  const char* x = std::getenv("XDG_STATE_HOME");
  const char* home = std::getenv("HOME");
  std::string base = x && *x ? x : home && *home ? std::string(home) + "/.local/state" : "/tmp";
  return base + "/mailharness/" + leaf;
}

std::optional<std::pair<int, int>> parse_shard(const std::string& s) {
  if (s.empty()) return std::nullopt;
  int i = 0, n = 0;
  auto slash = s.find('/');
  auto whole = [](std::string_view t, int& v) {  // from_chars: no overflow, no trailing text
    return !t.empty() && std::from_chars(t.data(), t.data() + t.size(), v) ==
                             std::from_chars_result{t.data() + t.size(), std::errc()};
  };
  if (slash == std::string::npos || !whole(std::string_view(s).substr(0, slash), i) ||
      !whole(std::string_view(s).substr(slash + 1), n) || n < 1 || i < 1 || i > n)
    throw CLI::ValidationError("--shard", "expected I/N with 1 <= I <= N, e.g. 2/4");
  return std::pair{i, n};
}

void add_run_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto a = std::make_shared<run_args>();
  auto* cmd = app.add_subcommand("run",
                                 "Run scenario files or folders (default: the shipped suite) against the embedded "
                                 "fake Exchange Online or a running fake's ready file; write report.json, "
                                 "junit.xml, report.html and report.md");
  cmd->add_option("paths", a->paths, "scenario files or folders (default: the built-in suite)");
  cmd->add_option("--target", a->target,
                  "embedded (default), a fake's ready file, or a tenant profile (file or built-in cloud)");
  cmd->add_option("--var", a->vars, "set a scenario variable, e.g. --var mailbox=ops@contoso.com (repeatable)")
      ->allow_extra_args(false);
  // One value per occurrence, so `run --tag smoke dir/` keeps dir/ as a path.
  cmd->add_option("--tag", a->tags, "run scenarios with this tag (repeatable; any matches)")->allow_extra_args(false);
  cmd->add_option("--id", a->ids, "run scenarios whose id matches this glob (repeatable)")->allow_extra_args(false);
  cmd->add_option("--out,--report-dir", a->out, "folder for the report set (default: reports)");
  cmd->add_option("--state-dir", a->state_dir, "embedded fakes' CA and keys (default ~/.local/state/mailharness/run)");
  cmd->add_option("--shard", a->shard, "run shard I of N (1-based), e.g. 2/4; merge with mailharness report merge");
  cmd->add_flag("--list", a->list, "list the selected scenarios and exit");
  cmd->add_flag("--quiet", a->quiet, "no progress lines");
  cmd->callback([a, on_exit] { on_exit(run(*a)); });
}

void add_report_command(CLI::App& app, std::function<void(int)> on_exit) {
  auto* cmd = app.add_subcommand("report", "Re-render a report.json, or merge shard reports");
  cmd->require_subcommand(1);
  auto in = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto fmts = std::make_shared<std::vector<std::string>>();
  auto* render = cmd->add_subcommand("render", "render report.json as HTML, JUnit XML, Markdown or console text");
  render->add_option("report", *in, "report.json")->required();
  render->add_option("--format", *fmts, "html, junit, md, console (repeatable; default all files)")
      ->check(CLI::IsMember({"html", "junit", "md", "console"}))
      ->allow_extra_args(false);
  for (const char* f : {"html", "junit", "md"})
    render->add_flag_callback(std::string("--") + f, [fmts, f] { fmts->push_back(f); },
                              std::string("write report.") + (std::string(f) == "junit" ? "junit.xml" : f));
  render->add_option("--out", *out, "output folder (default: the report's folder)");
  render->callback([in, out, fmts, on_exit] {
    auto report = read_report(*in);
    std::string dir = out->empty() ? std::filesystem::path(*in).parent_path().string() : *out;
    if (dir.empty()) dir = ".";
    std::vector<std::string> f = fmts->empty() ? std::vector<std::string>{"html", "junit", "md"} : *fmts;
    std::vector<std::pair<std::string, std::string>> files;
    for (const auto& x : f) {
      if (x == "html") files.emplace_back(dir + "/report.html", render_html(report));
      if (x == "junit") files.emplace_back(dir + "/junit.xml", render_junit(report));
      if (x == "md") files.emplace_back(dir + "/report.md", render_markdown(report));
      if (x == "console") std::cout << render_console(report);
    }
    write_report_files(dir, files);
    on_exit(exit_for_report(report));
  });
  auto ins = std::make_shared<std::vector<std::string>>();
  auto mout = std::make_shared<std::string>("merged");
  auto* merge = cmd->add_subcommand("merge", "merge shard reports (histograms merge exactly) and render the set");
  merge->add_option("reports", *ins, "report.json files of the shards")->required();
  merge->add_option("--out,--report-dir", *mout, "output folder for the merged report set (default: merged)");
  merge->callback([ins, mout, on_exit] {
    std::vector<nlohmann::json> docs;
    for (const auto& p : *ins) docs.push_back(read_report(p));
    nlohmann::json merged;
    try {
      merged = merge_reports(docs);
    } catch (const report_error& e) {
      std::cerr << "mailharness report merge: " << e.what() << "\n";
      on_exit(exit_usage);
      return;
    }
    std::cout << render_console(merged) << std::flush;
    write_report_set(merged, *mout);
    on_exit(exit_for_report(merged));
  });
}

}  // namespace mh::cli
