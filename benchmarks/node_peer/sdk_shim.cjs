// Supply UpdateDataIntegrationAssociationCommand when the installed SDK lacks it.
//
// Why: the only @aws-sdk/client-appintegrations this project's npm registry
// serves is 3.523.0, which predates the UpdateDataIntegrationAssociation API
// (the Lambda nodejs24.x runtime ships a newer SDK that has it). Without the
// command the peer handler answers FAILED "Unable to find command named:
// UpdateDataIntegrationAssociationCommand" before any HTTP call, so nothing
// about its real cost could be measured. The shim adds one command built the
// way the generated ones are (same Command.classBuilder, serde and endpoint
// plugins, signing, retry, error mapping) so the handler's code path is the
// real one; only the request serializer is hand-written:
//   PATCH /dataIntegrations/{Identifier}/associations/{DataIntegrationAssociationIdentifier}
//   body {"ExecutionConfiguration": {...}}
// The response deserializer is the one of UpdateDataIntegrationCommand, which
// also answers {} and shares the service's error shapes.
"use strict";

const { createRequire } = require("node:module");

const COMMAND = "UpdateDataIntegrationAssociationCommand";

function withUpdateDataIntegrationAssociation(real, sdkEntryPath) {
  if (real[COMMAND]) return { module: real, shimmed: false };
  const req = createRequire(sdkEntryPath);
  const { Command, take, _json } = req("@smithy/smithy-client");
  const { requestBuilder } = req("@smithy/core");
  const { getSerdePlugin } = req("@smithy/middleware-serde");
  const { getEndpointPlugin } = req("@smithy/middleware-endpoint");
  const base = real.UpdateDataIntegrationCommand;
  const deserialize = new base({}).deserialize;

  const serialize = async (input, context) => {
    const b = requestBuilder(input, context);
    b.bp("/dataIntegrations/{Identifier}/associations/{DataIntegrationAssociationIdentifier}");
    b.p("DataIntegrationIdentifier", () => input.DataIntegrationIdentifier, "{Identifier}", false);
    b.p(
      "DataIntegrationAssociationIdentifier",
      () => input.DataIntegrationAssociationIdentifier,
      "{DataIntegrationAssociationIdentifier}",
      false,
    );
    const body = JSON.stringify(take(input, { ExecutionConfiguration: (v) => _json(v) }));
    b.m("PATCH").h({ "content-type": "application/json" }).b(body);
    return b.build();
  };

  class UpdateDataIntegrationAssociationCommand extends Command.classBuilder()
    .ep(base.getEndpointParameterInstructions())
    .m(function plugins(CommandCtor, _cs, config) {
      return [
        getSerdePlugin(config, this.serialize, this.deserialize),
        getEndpointPlugin(config, CommandCtor.getEndpointParameterInstructions()),
      ];
    })
    .s("AmazonAppIntegrationService", "UpdateDataIntegrationAssociation", {})
    .n("AppIntegrationsClient", COMMAND)
    .f(undefined, undefined)
    .ser(serialize)
    .de(deserialize)
    .build() {}

  return { module: { ...real, [COMMAND]: UpdateDataIntegrationAssociationCommand }, shimmed: true };
}

module.exports = { withUpdateDataIntegrationAssociation, COMMAND };
