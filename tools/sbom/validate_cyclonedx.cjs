// tools/sbom/validate_cyclonedx.cjs (run from the directory holding its node_modules).
// node validate.cjs FILE: validates a CycloneDX 1.5 JSON document with the
// strict validator of @cyclonedx/cyclonedx-library; prints the errors and
// exits 1 when it is invalid.
const fs = require('fs');
const CDX = require('@cyclonedx/cyclonedx-library');
const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot5);
validator.validate(fs.readFileSync(process.argv[2], 'utf8')).then((errors) => {
  if (errors === null) { console.log('valid'); process.exit(0); }
  console.log(JSON.stringify(errors, null, 2)); process.exit(1);
}, (e) => { console.error(String(e)); process.exit(2); });
