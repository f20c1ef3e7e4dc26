import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadManifests, workloadsForImage } from "../lib/manifests";
import { REPO_ROOT } from "../paths";
import { prometheusRoutePrefix } from "./monitoring";

const PROM = /(^|\/)prometheus(:|@|$)/i;
const template = (args: string[], image = "prom/prometheus:latest") => ({ spec: { containers: [{ name: "sidecar", image: "jimmidyson/configmap-reload" }, { name: "prometheus", image, args }] } });

describe("prometheusRoutePrefix", () => {
  it.each([
    ["the path of --web.external-url", ["--config.file=/etc/prometheus/prometheus.yml", "--web.external-url=https://home.example.org/prometheus/"], "/prometheus"],
    ["--web.route-prefix over the external URL's path", ["--web.external-url=https://h/x/", "--web.route-prefix=/prom"], "/prom"],
    ["the flag and its value as two arguments", ["--web.external-url", "https://h/metrics/prometheus"], "/metrics/prometheus"],
    ["the root when neither is set", ["--config.file=/etc/prometheus/prometheus.yml"], ""],
    ["the root for an external URL without a path", ["--web.external-url=https://prometheus.example.org/"], ""],
  ])("reads %s", (_what, args, prefix) => {
    expect(prometheusRoutePrefix([template(args)], PROM)).toBe(prefix);
  });

  it("is the root when no workload runs a Prometheus image", () => {
    expect(prometheusRoutePrefix([template(["--web.external-url=https://h/prometheus/"], "grafana/grafana:11.2.0")], PROM)).toBe("");
    expect(prometheusRoutePrefix([], PROM)).toBe("");
  });

  it("is the root for the example stack, whose Prometheus sets neither flag", () => {
    const templates = workloadsForImage(loadManifests(path.join(REPO_ROOT, "examples", "media-stack")), PROM).map((w) => w.template);
    expect(templates).toHaveLength(1);
    expect(prometheusRoutePrefix(templates, PROM)).toBe("");
  });
});
