// node-client.js: a device nobody on this project wrote, for the interop
// test (tests/e2e/test_interop_node.py). It is lwm2m-node-lib's own client:
// it exposes /3/0 with a few resources, registers with nusimd over NoSec
// CoAP, and prints one line per event on stdout so the test can follow it:
//   registered location=rd/...   read /3/0/0   write /3/0/14 +02:00
// Usage: node node-client.js HOST PORT ENDPOINT
'use strict';

const lib = require('lwm2m-node-lib');
const client = lib.client;

const [host, port, endpoint] = process.argv.slice(2);
if (!host || !port || !endpoint) {
    console.error('usage: node node-client.js HOST PORT ENDPOINT');
    process.exit(2);
}

client.init({
    client: {
        lifetime: '120',
        version: '1.0',
        logLevel: 'FATAL',
        observe: { period: 3000 },
        ipProtocol: 'udp4',
        serverProtocol: 'udp4',
        formats: [{ name: 'lightweightm2m/text', value: 1541 }],
        writeFormat: 'lightweightm2m/text'
    }
});

let device = null;

function fail(what, err) {
    console.log('error ' + what + ' ' + (err && (err.message || err.name || err)));
    process.exit(1);
}

// A small Device object: manufacturer, model, serial, firmware, UTC offset.
const resources = [['0', 'Interop Maker'], ['1', 'node-lwm2m'], ['2', 'SN-4711'],
                   ['3', '1.4.0'], ['14', '+01:00']];

function setAll(i, done) {
    if (i === resources.length) return done();
    client.registry.setResource('/3/0', resources[i][0], resources[i][1], (err) => {
        if (err) return fail('setResource', err);
        setAll(i + 1, done);
    });
}

client.registry.create('/3/0', (err) => {
    if (err) return fail('create', err);
    setAll(0, () => {
        client.register(host, Number(port), '', endpoint, (err2, info) => {
            if (err2) return fail('register', err2);
            device = info;
            client.setHandler(info.serverInfo, 'read', (type, id, res, value, cb) => {
                console.log('read /' + type + '/' + id + '/' + res);
                cb(null, value);
            });
            client.setHandler(info.serverInfo, 'write', (type, id, res, value, cb) => {
                console.log('write /' + type + '/' + id + '/' + res + ' ' + value);
                cb(null);
            });
            console.log('registered location=' + info.location);
        });
    });
});

// SIGTERM: de-register, then leave.
process.on('SIGTERM', () => {
    if (!device) process.exit(0);
    client.unregister(device, () => process.exit(0));
    setTimeout(() => process.exit(0), 2000);
});
