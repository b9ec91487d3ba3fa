// Prints the scenarios ("pickles") of the .feature files named on the command line as JSON, with
// Cucumber's own parser (@cucumber/gherkin). A separate process because the parser is an ES
// module, which Jest's CommonJS runtime cannot load; see openfeature-gherkin.e2e-spec.ts.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { generateMessages } from '@cucumber/gherkin';
import { IdGenerator, SourceMediaType } from '@cucumber/messages';

const pickles = [];
for (const path of process.argv.slice(2)) {
  const envelopes = generateMessages(
    readFileSync(path, 'utf8'),
    basename(path),
    SourceMediaType.TEXT_X_CUCUMBER_GHERKIN_PLAIN,
    {
      includePickles: true,
      includeGherkinDocument: false,
      includeSource: false,
      newId: IdGenerator.incrementing(),
    },
  );
  for (const envelope of envelopes) {
    if (envelope.parseError) throw new Error(`${path}: ${envelope.parseError.message}`);
    const pickle = envelope.pickle;
    if (!pickle) continue;
    pickles.push({
      feature: basename(path),
      name: pickle.name,
      tags: pickle.tags.map((tag) => tag.name),
      steps: pickle.steps.map((step) => ({
        text: step.text,
        table: step.argument?.dataTable?.rows.map((row) => row.cells.map((cell) => cell.value)),
      })),
    });
  }
}
process.stdout.write(JSON.stringify(pickles));
