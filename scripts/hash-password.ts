// Prints a scrypt hash for a local account's password, to put in a Secret or an environment variable.
// Usage: npm run hash-password            (asks for the password without echoing it)
//        printf '%s' "$PW" | npm run hash-password -- --stdin
import { createInterface } from "node:readline";
import { hashPassword } from "../server/auth/password";

async function readPassword(): Promise<string> {
  if (process.argv.includes("--stdin") || !process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void };
  process.stderr.write("Password: ");
  muted._writeToOutput = () => {};
  const answer = await new Promise<string>((resolve) => rl.question("", resolve));
  rl.close();
  process.stderr.write("\n");
  return answer;
}

async function main(): Promise<void> {
  const password = await readPassword();
  if (password.length < 8) {
    console.error("Use a password of at least 8 characters.");
    process.exit(1);
  }
  console.log(await hashPassword(password));
}

void main();
