// Reads {"name": card, ...} on stdin and prints {"name": [warning, ...], ...}: what the adaptivecards npm library
// (the reference renderer) reports while parsing each card at schema 1.5 and validating it. Exit 3: no library.
let AdaptiveCards;
try {
  AdaptiveCards = require("adaptivecards/dist/adaptivecards.js"); // the bundle: the package's lib/ is ESM-only
} catch (error) {
  process.stderr.write(`adaptivecards is not installed (npm ci installs it): ${error.message}\n`);
  process.exit(3);
}
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const found = {};
  for (const [name, json] of Object.entries(JSON.parse(input))) {
    const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5);
    const card = new AdaptiveCards.AdaptiveCard();
    card.parse(json, context);
    const warnings = [];
    for (let i = 0; i < context.eventCount; i++) warnings.push(context.getEventAt(i).message);
    const validation = card.validateProperties();
    for (const event of validation.validationEvents) warnings.push(event.message);
    found[name] = warnings;
  }
  process.stdout.write(JSON.stringify(found));
});
