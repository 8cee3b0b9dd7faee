// Package cosign gets a log's checkpoints cosigned by the witnesses of its witness
// policy ([ledger.WitnessPolicy]), over C2SP tlog-witness, for the ledger backends.
//
// posixlog leaves the protocol to Tessera and uses only [Recorder], which remembers each
// witness's latest answer so that an Append that could not get its quorum can say who
// answered what. Backends that sign their own checkpoints (trillianlog, and the server)
// use the [Gateway]: it sends a log-signed checkpoint to every witness at once with
// transparency-dev/witness's client, proves consistency from whatever size a witness
// says it holds, and returns the checkpoint with the cosignatures as soon as the quorum
// is met, or a *ledger.CosigningError after a bounded wait.
package cosign
