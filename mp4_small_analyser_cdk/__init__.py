"""AWS CDK app of mp4-small-analyser: the callback stack and the analyser stack."""
