import { describe, expect, it } from "vitest";
import { backupFileRegex, backupId, backupName, hashInt31 } from "./backups";
import { InvalidConfigFileError, parseConfigXml, renderConfigXml } from "./files";

describe("*arr config.xml", () => {
  it("reads what the apps and the fixture's init container write, and writes it back the apps' way", () => {
    const fromInit = '<?xml version="1.0" encoding="utf-8"?>\n<Config>\n  <UrlBase>/sonarr</UrlBase>\n</Config>\n';
    expect([...parseConfigXml(fromInit)]).toEqual([["UrlBase", "/sonarr"]]);
    const values = new Map([
      ["Port", "8989"],
      ["InstanceName", "Sonarr <lab> & co"],
      ["SslCertPath", ""],
    ]);
    const text = renderConfigXml(values);
    expect(text).toBe("<Config>\n  <Port>8989</Port>\n  <InstanceName>Sonarr &lt;lab&gt; &amp; co</InstanceName>\n  <SslCertPath></SslCertPath>\n</Config>");
    expect(parseConfigXml(text)).toEqual(values);
    expect(parseConfigXml("<Config>\n  <SslCertPath />\n</Config>").get("SslCertPath")).toBe("");
  });

  it("refuses a file without <Config> the way ConfigFileProvider does", () => {
    expect(() => parseConfigXml("garbage", "/config/config.xml", "Radarr")).toThrow(InvalidConfigFileError);
    expect(() => parseConfigXml("garbage", "/config/config.xml", "Radarr")).toThrow("/config/config.xml is corrupt or invalid. Please delete the config file and Radarr will recreate it.");
  });
});

describe("*arr backup names and ids", () => {
  it("names archives like BackupService and lists only those", () => {
    const name = backupName("Sonarr", "4.0.19.0", new Date("2025-11-25T10:00:00Z"));
    expect(name).toBe("sonarr_backup_v4.0.19.0_2025.11.25_10.00.00.zip");
    expect(backupFileRegex("Sonarr").test(name)).toBe(true);
    expect(backupFileRegex("Sonarr").test("nzbdrone_backup_2019.01.01_00.00.00.zip")).toBe(true);
    expect(backupFileRegex("Radarr").test(name)).toBe(false);
  });

  it("gives a backup the id HashConverter.GetHashInt31 gives it", () => {
    // SHA-1 of the text, first four bytes little-endian, top bit cleared (computed independently).
    expect(hashInt31("backup-Manual-sonarr_backup_v4.0.19.0_2025.11.25_10.00.00.zip")).toBe(1126939734);
    expect(backupId("manual", "sonarr_backup_v4.0.19.0_2025.11.25_10.00.00.zip")).toBe(1126939734);
  });
});
