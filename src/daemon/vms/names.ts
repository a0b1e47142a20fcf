// Friendly generated VM names (DNS labels), unique among existing VMs.
const ADJECTIVES = ["brisk", "calm", "deft", "eager", "fond", "glad", "hardy", "keen", "lucid", "merry", "nimble", "proud", "quick", "rapid", "sunny", "tidy", "vivid", "witty"];
const NOUNS = ["otter", "falcon", "badger", "heron", "lynx", "marten", "osprey", "panda", "quail", "raven", "stoat", "tapir", "viper", "walrus", "yak", "zebra", "ibis", "koala"];

export function generateName(taken: (name: string) => boolean, random: () => number = Math.random): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  for (let i = 0; i < 50; i++) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}`;
    if (!taken(name)) return name;
  }
  for (let n = 2; ; n++) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}-${n}`;
    if (!taken(name)) return name;
  }
}
