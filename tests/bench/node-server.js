// node-server.js: the lwm2m-node-lib LwM2M server (npm), for `make bench`
// to measure beside nusimd under the same load. In-memory registry, no
// logging. Prints "listening port=N" once bound.
// Usage: node node-server.js PORT   (run with NODE_PATH=tests/interop/node_modules)
'use strict';

const server = require('lwm2m-node-lib').server;
const port = parseInt(process.argv[2], 10);

server.start({
    port: port,
    udpWindow: 100000,
    logLevel: 'FATAL',
    serverProtocol: 'udp4',
    lifetimeCheckInterval: 3600000,
    defaultType: 'Device',
    deviceRegistry: { type: 'memory' },
    formats: [{ name: 'lightweightm2m/text', value: 1541 }],
    writeFormat: 'lightweightm2m/text'
}, function (error, info) {
    if (error) {
        console.error('start failed: ' + error);
        process.exit(1);
    }
    const ok = function () { arguments[arguments.length - 1](); };
    server.setHandler(info, 'registration', ok);
    server.setHandler(info, 'updateRegistration', ok);
    server.setHandler(info, 'unregistration', ok);
    console.log('listening port=' + port);
});
