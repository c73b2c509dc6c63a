META
key;value
description;Northbridge health fund: approval
round;vector-approval
budget;1000000
vote_type;approval
PROJECTS
project_id;cost;name;organisation;area
p1;300000;Walking group for carers;Riverside Food Bank;Riverside
p2;250000;Clwb garddio cymunedol;Cymdeithas Tai Glan-yr-afon;Glan-yr-afon
p3;200000;پارک کی صفائی اور نئے جھولے;Northbridge Mosque Trust;Northbridge
p4;150000;Łódka dla seniorów;Fundacja Żółty Dom;Moorfield
p5;120000;Men's shed workshop;Moorfield Harriers;Moorfield
p6;90000;Youth cookery club;Riverside Food Bank;Riverside
VOTES
voter_id;vote;sequence;channel
6d25cf734c49a1dd273e4d8fab5f5bdb;p5;1;online
8d1099ec05e8fdc7c1d734777648ab73;p3;2;online
bde201825045e4da32da5e96796b9d30;p4;3;online
78e6452f2969cccdc2710c83869ecb79;p4,p6;4;online
79fe3fa1ed672c9d538800cb2514a92f;p1;5;paper
93791818c6ed537281b4ab4d9caf4c24;p1,p4;6;online
252f36175fd1e7893fdd44cfc0f9efe3;p5,p1;7;online
272f85b1627f6ba267abb80acb866e98;p4,p3,p2;8;online
340771fb72bd6a65b85dfaf6aa78f773;p1,p3,p6;9;online
967767a7539729bd7e84959d380d6ba6;p1;10;paper
67885128a658859f8416d703d065ead4;p5,p1,p4;11;online
b6fe43878b932b10d3bd3e0f658a2009;p2,p4,p1;12;online
0b7db1308f2b2be138faef3d25928099;p2,p4,p5;13;online
147eb307c01c32c7ae68c47613f68753;p2,p3,p6;14;online
b8a5c670231e4997ed4da9d7ea940032;p2,p4,p3;15;paper
6051e5844633d03b4d28eaa374844d4b;p4;16;online
2922f17fa60e2d01ef4a96a9dfd2c115;p6,p1,p2;17;online
379213759014a1a71caf3547b2a62268;p6,p3,p1;18;online
896566ffdae11f8db2a5e5fe3fec82ee;p3,p5,p4;19;online
da5d18d7aad24c15fc0233b5a7cc0541;p6,p2,p3;20;paper
fc01b650c2a20bc26662cb3a7a684c83;p5,p4;21;online
b085fe495ad29d07c02afa114f172a90;p4,p5,p1;22;online
70712bc42e19a11b119a8066e4fb981b;p2,p4;23;online
5cb4b9d8b39c784a1a8df262aa8a1b11;p6,p2;24;online
1d4442f505ef5204154be9d8ee7055af;p5,p3;25;paper
82b62300df0ba836540ab03541a252ed;p4;26;online
df9407e97203650d08165178455b1e60;p5,p1,p2;27;online
a9cdf8fa1d6a7ab5cb9abd650f73776b;p4,p3,p6;28;online
14a4b2120e38f59001f523a1dd3fd032;p1,p4,p6;29;online
cf7c4cc7f2d8c6ac58031045ed9b3e56;p6,p5;30;paper
13154f163e6fab4ff154245581d6e003;p5,p4,p2;31;online
f8b2cdf6d818f96864f10ec24dbf3fec;p5;32;online
f1b3341e18ea7422de47133fae00ffb4;p1;33;online
c12bde19aff2cd02942c550f2c4c0677;p5;34;online
1e9a09cc8673a07c48507c2d8ba09cae;p2,p4,p3;35;paper
60f72d8fb2073a30cf6f8a7264014582;p3,p4,p6;36;online
94b1d030fa663bfc486b5dbbde64ffc4;p5,p6,p1;37;online
0b0f87218db0526bb283caa4b78e3d62;p6,p5;38;online
bf77d31d401c1565dea3b66b691074fd;p5;39;online
6d5d7e368edc1e008948114536fd44dd;p2,p4,p1;40;paper
