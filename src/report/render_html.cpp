// The self-contained HTML report: readable offline, no external resources (a CSP forbids
// them), inline SVG charts, a small inline script for the filters.
#include <set>
#include <sstream>

#include "core/text.hpp"
#include "report/bench_report.hpp"
#include "report/render.hpp"
#include "report/report_model.hpp"
#include "report/svg_chart.hpp"

namespace mh {

using namespace report_detail;

namespace {

constexpr std::string_view style = R"css(
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 48px;color:#1b1f24}
h1{font-size:22px;margin:20px 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:0 0 6px}table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f6f8fa;padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-all}
.meta{color:#57606a}.meta dt{font-weight:600;float:left;clear:left;width:130px}.meta dd{margin:0 0 0 140px}
.counts{display:flex;gap:12px;list-style:none;padding:0;flex-wrap:wrap}.counts li{border:1px solid #d0d7de;border-radius:6px;padding:6px 14px}
.counts b{font-size:20px;display:block}.badge{font-weight:700;border-radius:4px;padding:0 6px;color:#fff}
.count.pass b{color:#1a7f37}.badge.fail,.badge.error{background:#cf222e}.count.fail b,.count.error b{color:#cf222e}
.badge.skip{background:#6e7781}.badge.pass{background:#1a7f37;color:#fff}
tr.record.fail td:first-child,tr.record.error td:first-child{border-left:4px solid #cf222e}
.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px;margin:8px 0}
#filters{display:flex;gap:8px;flex-wrap:wrap;align-items:center}
article.failure{border:1px solid #d0d7de;border-left:4px solid #cf222e;padding:10px 12px;margin:12px 0}
.finding{background:#ddf4ff;border:1px solid #54aeff;padding:6px 10px;margin:8px 0}
svg text{font:11px system-ui,sans-serif;fill:#1b1f24}svg .p50{fill:#54aeff}svg .p90{fill:#0969da}svg .p99{fill:#0a3069}
svg .bin{fill:#0969da}svg line.mark{stroke-width:1.5;stroke-dasharray:3 2}svg line.p50{stroke:#1a7f37}svg line.p99{stroke:#cf222e}
svg line.axis{stroke:#57606a}svg line.grid{stroke:#d0d7de}.charts{display:flex;flex-wrap:wrap;gap:8px}#js-errors{color:#cf222e}
svg .tl-ok{fill:#b6e3ff}svg .tl-failed{fill:#ff8182}svg .tl-line{fill:none;stroke-width:1.5}
svg .tl-p50{stroke:#1a7f37}svg .tl-p99{stroke:#0a3069}svg .tl-max{stroke:#cf222e}#bench table.fields{width:auto;min-width:480px}
)css";

constexpr std::string_view script = R"js(
(function(){
  function $(id){return document.getElementById(id);}
  var rows=[].slice.call(document.querySelectorAll('#results-table tbody tr.record'));
  var f={outcome:$('filter-outcome'),protocol:$('filter-protocol'),tag:$('filter-tag'),q:$('filter-text')};
  function apply(){
    var o=f.outcome.value,p=f.protocol.value,t=f.tag.value,q=f.q.value.toLowerCase(),n=0;
    rows.forEach(function(r){
      var show=(!o||r.dataset.outcome===o)&&(!p||r.dataset.protocol===p)&&
        (!t||(' '+r.dataset.tags+' ').indexOf(' '+t+' ')>=0)&&(!q||r.dataset.text.indexOf(q)>=0);
      r.hidden=!show;if(show)n++;
    });
    $('filter-count').textContent=n+' of '+rows.length+' shown';
  }
  location.hash.slice(1).split('&').forEach(function(kv){
    var i=kv.indexOf('=');if(i<0)return;
    var k,v;
    try{k=decodeURIComponent(kv.slice(0,i));v=decodeURIComponent(kv.slice(i+1));}catch(err){return;}
    if(Object.prototype.hasOwnProperty.call(f,k))f[k].value=v;
  });
  Object.keys(f).forEach(function(k){f[k].addEventListener('input',apply);f[k].addEventListener('change',apply);});
  apply();
  document.body.setAttribute('data-ready','1');
})();
)js";

std::string e(std::string_view s) { return escape_markup(s); }

const char* outcome_word(const std::string& o) {
  return o == "pass" ? "PASS" : o == "fail" ? "FAIL" : o == "skip" ? "SKIP" : "ERROR";
}

std::string badge(const std::string& outcome) {
  return "<span class=\"badge " + e(outcome) + "\">" + outcome_word(outcome) + "</span>";
}

void meta(std::ostringstream& h, const json& r) {
  const json& target = sub(r, "target");
  h << "<dl class=\"meta\" id=\"meta\"><dt>target</dt><dd>" << e(str(target, "kind")) << " — "
    << e(str(target, "description")) << "</dd><dt>TLS verification</dt><dd>"
    << (flag(target, "tls_verify") ? "on" : "<strong>off</strong> (results do not prove the "
                                            "server's identity)")
    << "</dd><dt>started</dt><dd>" << e(str(r, "started_at")) << "</dd><dt>finished</dt><dd>"
    << e(str(r, "finished_at")) << "</dd><dt>duration</dt><dd>"
    << fmt_seconds(num(sub(r, "summary"), "duration_s")) << "</dd><dt>tool</dt><dd>"
    << e(str(sub(r, "tool"), "name")) << " " << e(str(sub(r, "tool"), "version")) << "</dd>";
  if (const json& m = sub(r, "merged"); m.is_object())
    h << "<dt>merged</dt><dd>" << count(m, "inputs") << " reports</dd>";
  if (const json& s = sub(r, "shard"); s.is_object())
    h << "<dt>shard</dt><dd>" << count(s, "index") << " of " << count(s, "count") << "</dd>";
  h << "</dl>";
  if (flag(r, "interrupted"))
    h << "<p class=\"banner\" id=\"interrupted\">The run was interrupted: results are "
         "incomplete.</p>";
}

void summary(std::ostringstream& h, const json& s) {
  h << "<section id=\"summary\"><h2>Summary</h2><ul class=\"counts\">";
  for (auto [key, cls] : {std::pair{"records", "total"}, std::pair{"passed", "pass"},
                          std::pair{"failed", "fail"}, std::pair{"errors", "error"},
                          std::pair{"skipped", "skip"}, std::pair{"scenarios", "scenarios"}})
    h << "<li class=\"count " << cls << "\" data-key=\"" << key << "\"><b>" << count(s, key)
      << "</b>" << key << "</li>";
  h << "</ul></section>";
}

void filter_select(std::ostringstream& h, const char* id, const char* label, const std::set<std::string>& values) {
  h << "<label>" << label << " <select id=\"" << id << "\"><option value=\"\">all</option>";
  for (const auto& v : values) h << "<option value=\"" << e(v) << "\">" << e(v) << "</option>";
  h << "</select></label>";
}

void results(std::ostringstream& h, const json& records) {
  std::set<std::string> protocols, tags;
  for (const auto& rec : records) {
    if (!str(rec, "protocol").empty()) protocols.insert(clean(str(rec, "protocol"), false));
    for (const auto& t : items(rec, "tags")) tags.insert(clean(as_text(t), false));
  }
  h << "<section id=\"results\"><h2>Results</h2><div id=\"filters\">";
  filter_select(h, "filter-outcome", "outcome", {"pass", "fail", "skip", "error"});
  filter_select(h, "filter-protocol", "protocol", protocols);
  filter_select(h, "filter-tag", "tag", tags);
  h << "<label>text <input id=\"filter-text\" type=\"search\" placeholder=\"id, title, mailbox, "
       "reply…\"></label><span id=\"filter-count\"></span></div>"
       "<table id=\"results-table\"><thead><tr><th>outcome</th><th>scenario</th><th>title</th>"
       "<th>protocol</th><th>mailbox</th><th>mechanism</th><th>time</th><th>details</th></tr>"
       "</thead><tbody>";
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& rec = records[i];
    std::string outcome = str(rec, "outcome");
    failure_info f = describe_failure(rec);
    std::string tag_list;
    for (const auto& t : items(rec, "tags")) tag_list += (tag_list.empty() ? "" : " ") + clean(as_text(t), false);
    std::string text = ascii_lower(str(rec, "id") + " " + str(rec, "scenario") + " " +
                                   str(rec, "title") + " " + str(rec, "mailbox") + " " +
                                   str(rec, "mechanism") + " " + tag_list + " " + f.message +
                                   " " + f.reply + " " + f.finding);
    bool detail = outcome == "fail" || outcome == "error";
    h << "<tr class=\"record " << e(outcome) << "\" id=\"row-" << i << "\" data-outcome=\""
      << e(outcome) << "\" data-protocol=\"" << e(str(rec, "protocol")) << "\" data-tags=\""
      << e(tag_list) << "\" data-text=\"" << e(text) << "\"><td>" << badge(outcome) << "</td><td>";
    if (detail) h << "<a href=\"#rec-" << i << "\">" << e(str(rec, "scenario")) << "</a>";
    else h << e(str(rec, "scenario"));
    h << "</td><td>" << e(str(rec, "title")) << "</td><td>" << e(str(rec, "protocol"))
      << "</td><td>" << e(str(rec, "mailbox")) << "</td><td>" << e(str(rec, "mechanism"))
      << "</td><td class=\"num\">" << fmt_seconds(num(rec, "duration_s")) << "</td><td>"
      << e(f.message) << "</td></tr>";
  }
  h << "</tbody></table></section>";
}

std::vector<std::pair<std::string, latency_summary>> summaries_of(const json& phases) {
  std::vector<std::pair<std::string, latency_summary>> out;
  for (const auto& name : ordered_phases(phases)) out.emplace_back(name, phase_summary(phases[name]));
  return out;
}

void latency(std::ostringstream& h, const json& records) {
  auto agg = aggregate_phases(records);
  if (agg.empty()) return;
  std::vector<std::pair<std::string, latency_summary>> rows;
  for (const auto& [name, hist] : agg) rows.emplace_back(name, latency_summary::of(hist));
  h << "<section id=\"latency\"><h2>Latency per phase (ms, all records)</h2>"
    << svg_phase_bars(rows, "latency-phases");
  h << html_latency_table(rows);
  h << "<div class=\"charts\">";
  for (const auto& [name, hist] : agg) h << svg_histogram(hist, name, "histogram-" + name);
  h << "</div></section>";
}

void failure(std::ostringstream& h, const json& rec, std::size_t i) {
  std::string outcome = str(rec, "outcome");
  failure_info f = describe_failure(rec);
  h << "<article class=\"failure " << e(outcome) << "\" id=\"rec-" << i << "\"><h3>" << badge(outcome)
    << " " << e(str(rec, "scenario")) << " — " << e(str(rec, "title")) << " <small>"
    << e(record_variant(rec)) << "</small></h3><p class=\"message\">" << e(f.message) << "</p>";
  bool any = false;
  for (const auto& c : items(rec, "checks")) {
    if (flag(c, "ok")) continue;
    if (!any) h << "<table class=\"checks\"><tr><th>check</th><th>expected</th><th>actual</th><th>message</th></tr>";
    any = true;
    h << "<tr><td>" << e(str(c, "name")) << "</td><td>" << e(as_text(sub(c, "expected")))
      << "</td><td>" << e(as_text(sub(c, "actual"))) << "</td><td>" << e(str(c, "message")) << "</td></tr>";
  }
  if (any) h << "</table>";
  if (!items(rec, "errors").empty()) {
    h << "<table class=\"errors\"><tr><th>class</th><th>code</th><th>phase</th><th>server reply</th><th>message</th><th>count</th></tr>";
    for (const auto& x : items(rec, "errors"))
      h << "<tr><td>" << e(str(x, "class")) << "</td><td>" << e(str(x, "code")) << "</td><td>"
        << e(str(x, "phase")) << "</td><td><code class=\"reply\">" << e(str(x, "reply"))
        << "</code></td><td>" << e(str(x, "message")) << "</td><td class=\"num\">" << count(x, "count") << "</td></tr>";
    h << "</table>";
  }
  for (const auto& fi : items(rec, "findings")) {
    h << "<div class=\"finding\" data-finding=\"" << e(str(fi, "id")) << "\"><strong>"
      << e(str(fi, "title")) << "</strong>";
    if (!str(fi, "confidence").empty()) h << " <small>(confidence " << e(str(fi, "confidence")) << ")</small>";
    if (!str(fi, "step").empty()) h << "<p>Missing step: " << e(str(fi, "step")) << "</p>";
    if (!str(fi, "remediation").empty()) h << "<pre class=\"remediation\">" << e(str(fi, "remediation")) << "</pre>";
    h << "</div>";
  }
  if (const json& p = sub(rec, "phases"); p.is_object() && !p.empty())
    h << svg_phase_bars(summaries_of(p), "latency-rec-" + std::to_string(i));
  const json& t = items(rec, "transcript");
  if (!t.empty()) {
    h << "<details open><summary>Transcript (" << t.size() << " lines, redacted)</summary><pre class=\"transcript\">";
    for (const auto& line : t) h << e(as_text(line)) << "\n";
    h << "</pre></details>";
  }
  h << "</article>";
}

void verdicts(std::ostringstream& h, const json& records) {
  std::ostringstream rows;
  for (std::size_t i = 0; i < records.size(); ++i)
    for (const auto& v : items(records[i], "verdicts"))
      rows << "<tr class=\"verdict " << e(str(v, "result")) << "\"><td>" << e(str(records[i], "id"))
           << "</td><td>" << e(str(v, "name")) << "</td><td>" << e(str(v, "result")) << "</td><td>"
           << e(str(v, "detail")) << "</td></tr>";
  if (rows.str().empty()) return;
  h << "<section id=\"verdicts\"><h2>Token and client verdicts</h2><table><tr><th>record</th>"
       "<th>verdict</th><th>result</th><th>detail</th></tr>" << rows.str() << "</table></section>";
}

void free_section(std::ostringstream& h, const json& r, const char* key, const char* title) {
  const json& v = sub(r, key);
  if (!v.is_object()) return;
  h << "<section id=\"" << key << "\"><h2>" << title << "</h2>";
  if (const json& p = sub(v, "phases"); p.is_object() && !p.empty()) h << html_latency_table(summaries_of(p));
  h << "<table class=\"fields\">";
  for (const auto& [k, x] : v.items()) {
    if (k == "phases") continue;
    h << "<tr><th>" << e(k) << "</th><td>";
    if (x.is_structured()) h << "<pre>" << e(x.dump(2, ' ', false, json::error_handler_t::replace)) << "</pre>";
    else h << e(as_text(x));
    h << "</td></tr>";
  }
  h << "</table></section>";
}

}  // namespace

std::string render_html(const json& report) {
  check_report(report);
  const json& records = report["records"];
  json sum = summarize_records(records, num(sub(report, "summary"), "duration_s"));
  std::string command = str(report, "command");
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
       "<meta name=\"generator\" content=\"mailharness\"><title>mailharness "
    << e(command) << " report</title><style>" << style << "</style></head><body>"
    << "<pre id=\"js-errors\" hidden></pre><script>window.onerror=function(m,s,l,c){"
       "var x=document.getElementById('js-errors');x.hidden=false;x.textContent+=m+' (line '+l+':'+c+')\\n';};"
       "</script><header><h1>mailharness " << e(command) << " report — "
    << (sum["failed"] == 0 && sum["errors"] == 0 ? "<span class=\"badge pass\" id=\"verdict\">PASS</span>"
                                                 : "<span class=\"badge fail\" id=\"verdict\">FAIL</span>")
    << "</h1>";
  meta(h, report);
  h << "</header>";
  summary(h, sum);
  // A bench report leads with its own section, whose per-phase charts replace #latency.
  bool bench = is_bench_report(report);
  if (bench) h << bench_html(report["bench"]);
  results(h, records);
  if (!shows_bench_phases(report)) latency(h, records);
  std::ostringstream fails;
  for (std::size_t i = 0; i < records.size(); ++i) {
    std::string o = str(records[i], "outcome");
    if (o == "fail" || o == "error") failure(fails, records[i], i);
  }
  if (!fails.str().empty())
    h << "<section id=\"failures\"><h2>Failures</h2>" << fails.str() << "</section>";
  verdicts(h, records);
  if (!bench) free_section(h, report, "bench", "Benchmark");
  free_section(h, report, "cutover", "Cutover validation");
  h << "<footer class=\"meta\"><p>Generated by " << e(str(sub(report, "tool"), "name")) << " "
    << e(str(sub(report, "tool"), "version")) << " from " << e(std::string(report_format))
    << ". Transcripts are redacted: tokens and secrets appear only as fingerprints.</p></footer>"
    << "<script>" << script << "</script></body></html>\n";
  return h.str();
}

}  // namespace mh
