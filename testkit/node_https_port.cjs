// Preloaded (node --require) by testkit/assertion_handler.py.
// integ-tests' assertion handler sends its CloudFormation response with
// https.request({hostname, path, ...}): it drops the ResponseURL's port (S3's is 443). The
// local receiver listens on another port of 127.0.0.1, named by CFN_RESPONSE_PORT; only
// requests to 127.0.0.1 without a port are redirected there, nothing else is touched.
'use strict';
const https = require('node:https');

const port = Number(process.env.CFN_RESPONSE_PORT);
const request = https.request;
https.request = function requestWithLocalPort(options, ...rest) {
  if (port && options && typeof options === 'object' && !(options instanceof URL)
      && options.hostname === '127.0.0.1' && options.port === undefined) {
    return request.call(this, { ...options, port }, ...rest);
  }
  return request.call(this, options, ...rest);
};
