// Deliberately vulnerable sample for the external-control tests (eslint-plugin-security).
const child_process = require('child_process');

function run(req) {
  child_process.exec('ls ' + req.query.dir);
}

function match(req) {
  const re = new RegExp(req.query.pattern);
  return re.test(req.query.text);
}

function evaluate(req) {
  return eval(req.body.code);
}

function read(req) {
  const fs = require('fs');
  return fs.readFileSync(req.query.file);
}

module.exports = { run, match, evaluate, read };
