// Reads {"name": card, ...} on stdin and prints {"name": [{event, source, message}, ...], ...}: every event the
// adaptivecards npm library (Microsoft's reference renderer) reports while parsing each card at schema 1.5 (the
// highest Teams renders) and validating it. `event` is the library's ValidationEvent name, `source` the JSON type
// of the element or action it concerns ("" for the card itself). Exit 3: the library is not installed.
let AdaptiveCards;
try {
  AdaptiveCards = require("adaptivecards/dist/adaptivecards.js"); // the bundle: the package's lib/ is ESM-only
} catch (error) {
  process.stderr.write(`adaptivecards is not installed (npm ci installs it): ${error.message}\n`);
  process.exit(3);
}

function described(event) {
  const source = event.source && typeof event.source.getJsonTypeName === "function"
    ? event.source.getJsonTypeName() : "";
  return { event: AdaptiveCards.ValidationEvent[event.event] ?? String(event.event), source, message: event.message };
}

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const found = {};
  for (const [name, json] of Object.entries(JSON.parse(input))) {
    const context = new AdaptiveCards.SerializationContext(AdaptiveCards.Versions.v1_5);
    const card = new AdaptiveCards.AdaptiveCard();
    card.parse(json, context);
    const events = [];
    for (let i = 0; i < context.eventCount; i++) events.push(described(context.getEventAt(i)));
    for (const event of card.validateProperties().validationEvents) events.push(described(event));
    found[name] = events;
  }
  process.stdout.write(JSON.stringify(found));
});
