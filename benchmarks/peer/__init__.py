"""Peer half of the benchmark: the ``AwsCustomResource`` a CDK user would write today.

The modules here build the peer stack (:mod:`.peer_stack`), measure what a deploy
would run into (:func:`.peer_stack.measure_template`), time synth in a fresh
interpreter and search for the largest N (:mod:`.synth_once`, :mod:`.synth_runner`,
:mod:`.search`), size the provider's Lambda asset (:mod:`.asset`) and drive the
peer's Node.js handler locally (:mod:`.node_handler`, :mod:`.node_bench`).
See README.md beside this file for the figures.
"""
